"""Matching by meaning in the application, with the real bundled model: vectors stored per
CV and offer by the worker (never on arrival), the rankings that use them, the explanations
that say so, and words only when the model is off. Few, short texts: each is embedded once."""

from __future__ import annotations

import dataclasses

import numpy as np
from sqlalchemy import func, select

from referral import worker
from referral.models import CvEmbedding, OfferEmbedding
from referral.offers import scoring, semantic
from tests.referral.test_scoring import _apply

ENGLISH_DEV_CV = (
    "Software engineer\nExperience\n2016 - 2024 Software engineer, Acme Ltd\n"
    "Web applications, back-end services, code reviews."
)
FRENCH_NURSE_CV = "Infirmière\nExpérience\n2012 - 2024 Infirmière en EHPAD\nSoins, accompagnement."


def test_the_worker_embeds_cvs_and_offers_then_rankings_count_meaning(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Développeur informatique", description="Applications web.")
    english = _apply(session, offer, ENGLISH_DEV_CV, 1)
    nurse = _apply(session, offer, FRENCH_NURSE_CV, 2)
    for application in (english, nurse):
        scoring.score_application(session, settings, application)
    # On arrival: words only, said so; nothing embedded in the candidate's request.
    assert english.score_explanation["meaning"] is None
    assert english.score_explanation["meaning_note"] == semantic.NOT_YET
    assert session.scalar(select(func.count(CvEmbedding.id))) == 0

    assert worker.semantic_tick(session, settings) == 2  # both applications rescored
    status = semantic.embedding_status(settings)
    stored = session.scalars(select(CvEmbedding)).all()
    assert {e.cv_file_id for e in stored} == {english.cv_file_id, nurse.cv_file_id}
    assert {(e.model, e.version) for e in stored} == {
        (status.embedder.name, status.embedder.version)
    }
    vectors = np.frombuffer(stored[0].vectors, dtype=np.float32).reshape(-1, stored[0].dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert session.scalar(select(func.count(OfferEmbedding.id))) == 1
    # The English CV of the occupation now ranks above the unrelated French one, explained.
    assert english.score > nurse.score
    assert english.score_explanation["meaning"] == status.embedder.name
    assert english.score_explanation["meaning_note"] == ""
    # Nothing left to do: a second tick embeds nothing and rescores nothing.
    assert worker.semantic_tick(session, settings) == 0


def test_an_edited_offer_is_embedded_again(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Comptable", description="Comptabilité publique.")
    assert semantic.embed_missing(session, settings)[1] == [offer.id]
    first = session.scalar(select(OfferEmbedding).where(OfferEmbedding.offer_id == offer.id))
    digest = first.digest
    assert semantic.embed_missing(session, settings)[1] == []
    offer.title = "Gestionnaire comptable"
    session.flush()
    assert semantic.embed_missing(session, settings)[1] == [offer.id]
    assert first.digest != digest


def test_with_the_model_off_ranking_is_by_words_and_says_so(app, session, make_offer):
    settings = dataclasses.replace(app.extensions["relais"].settings, embedding_model="off")
    offer = make_offer(title="Développeur informatique")
    application = _apply(session, offer, ENGLISH_DEV_CV, 3)
    assert semantic.embed_missing(session, settings) == ([], [])
    scoring.rescore_offer(session, settings, offer)
    assert application.score_explanation["meaning"] is None
    assert application.score_explanation["meaning_note"] == semantic.MODEL_OFF


def test_an_erased_cv_takes_its_vectors_with_it(app, session, make_offer):
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Infirmier")
    application = _apply(session, offer, FRENCH_NURSE_CV, 4)
    semantic.embed_missing(session, settings)
    assert session.scalar(select(func.count(CvEmbedding.id))) == 1
    session.delete(application)
    session.delete(application.cv_file)
    session.flush()
    assert session.scalar(select(func.count(CvEmbedding.id))) == 0


def test_a_change_of_model_embeds_again_while_ranking_goes_on_by_words(app, session, make_offer):
    """Vectors of another model version (as after an upgrade) are not compared with this
    one's: the offer is ranked by words until the worker has embedded its CVs again."""
    settings = app.extensions["relais"].settings
    offer = make_offer(title="Infirmier", description="Soins en EHPAD.")
    application = _apply(session, offer, FRENCH_NURSE_CV, 5)
    semantic.embed_missing(session, settings)
    for row in session.scalars(select(CvEmbedding)):
        row.version = "0.0.1"  # written by an older model
    session.flush()
    scoring.rescore_offer(session, settings, offer)
    assert application.score is not None
    assert application.score_explanation["meaning_note"] == semantic.NOT_YET
    assert worker.semantic_tick(session, settings) == 1
    assert application.score_explanation["meaning"] is not None
    stored = session.scalars(select(CvEmbedding)).all()  # the old model's vectors are gone
    assert [row.version for row in stored] == [semantic.embedding_status(settings).embedder.version]

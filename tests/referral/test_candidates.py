"""Candidates: normalised identity, duplicate flags, and merges."""

import pytest
from sqlalchemy import func, select

from referral.applications import candidates
from referral.applications.applying import apply
from referral.errors import InvalidInput
from referral.models import (
    Application,
    AuditEvent,
    CandidateNote,
    CreditEvent,
    CVFile,
    DuplicateFlag,
    Referral,
)
from tests.applying import *  # noqa: F403
from tests.applying import apply_input, pdf_bytes


@pytest.fixture
def conf(app):
    return app.extensions["relais"].settings


@pytest.fixture
def applied(session, conf, make_offer):
    def run(offer=None, **fields):
        offer = offer or make_offer()
        result = apply(
            session,
            conf,
            offer_id=offer.id,
            data=apply_input(**fields),
            cv_data=pdf_bytes(f"CV de {fields}"),
            cv_filename="cv.pdf",
        )
        session.commit()
        return result

    return run


def test_phone_numbers_become_e164():
    assert candidates.normalise_phone("06 12 34 56 78") == "+33612345678"
    assert candidates.normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert candidates.normalise_phone("  ") is None
    with pytest.raises(InvalidInput):
        candidates.normalise_phone("12")


def test_identity_is_trimmed_and_the_email_lowercased():
    identity = candidates.make_identity(
        email="  Jean.DUPONT@Example.ORG ", first_name=" Jean ", last_name="Dupont"
    )
    assert (identity.email, identity.first_name) == ("jean.dupont@example.org", "Jean")


def test_same_phone_under_another_email_is_flagged(applied):
    applied(email="a@example.org", phone="0612345678")
    second = applied(email="b@example.org", phone="+33 6 12 34 56 78", first_name="Autre")
    assert [f.reason for f in second.duplicates] == ["same_phone"]


def test_similar_name_in_the_same_city_is_flagged_but_not_elsewhere(applied):
    applied(
        email="a@example.org", first_name="Stéphane", last_name="Lefèvre", phone="", city="Lyon"
    )
    near = applied(
        email="b@example.org", first_name="Stephane", last_name="Lefevre", phone="", city="lyon"
    )
    assert [f.reason for f in near.duplicates] == ["similar_name_same_city"]
    far = applied(
        email="c@example.org", first_name="Stéphane", last_name="Lefèvre", phone="", city="Brest"
    )
    assert far.duplicates == []
    other = applied(
        email="d@example.org", first_name="Sophie", last_name="Lemaire", phone="", city="Lyon"
    )
    assert other.duplicates == []


def test_merge_moves_everything_and_is_recorded(session, applied, make_offer, make_user, make_link):
    recruiter = make_user()
    shared = make_offer()
    link = make_link(offer=shared)
    keep = applied(email="keep@example.org", phone="0612345678").candidate
    drop_first = applied(offer=shared, email="drop@example.org", phone="0612345678")
    drop = drop_first.candidate
    session.add(CandidateNote(candidate_id=drop.id, body="Très bon contact"))
    session.add(
        Referral(
            offer_id=shared.id,
            agent_id=link.agent_id,
            candidate_id=drop.id,
            first_name="x",
            last_name="y",
            email=drop.email,
            token="tok-merge",
            expires_at=drop.created_at,
        )
    )
    session.commit()
    flag = session.scalar(select(DuplicateFlag))
    candidates.merge(session, keep, drop, actor=recruiter)
    session.commit()
    assert drop.merged_into_id == keep.id
    assert {a.candidate_id for a in session.scalars(select(Application))} == {keep.id}
    assert {c.candidate_id for c in session.scalars(select(CVFile))} == {keep.id}
    assert session.scalar(select(CandidateNote.candidate_id)) == keep.id
    assert session.scalar(select(Referral.candidate_id)) == keep.id
    assert (flag.resolution, flag.resolved_at is not None) == ("merged", True)
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.merge"))
    assert audit.entity_id == keep.id and audit.details["dropped_id"] == drop.id
    # A later application under the merged e-mail goes to the surviving candidate.
    again = applied(email="drop@example.org", phone="0612345678")
    assert again.candidate.id == keep.id


def test_merge_of_two_applications_to_one_offer_keeps_the_most_advanced(
    session, conf, applied, make_offer, make_user, make_link
):
    offer = make_offer()
    link = make_link(offer=offer)
    keep_app = applied(offer=offer, email="keep@example.org", phone="0611111111").application
    drop_result = apply(
        session,
        conf,
        offer_id=offer.id,
        data=apply_input(email="drop@example.org", phone="0622222222"),
        cv_data=pdf_bytes("plus récent"),
        cv_filename="cv.pdf",
        ref_code=link.code,
    )
    session.commit()
    drop_app = drop_result.application
    drop_app.status = "interview"
    session.commit()
    keep, drop = keep_app.candidate, drop_app.candidate
    candidates.merge(session, keep, drop, actor=make_user())
    session.commit()
    session.refresh(keep_app)
    session.refresh(drop_app)
    # The interview one survives under the kept candidate; the other is withdrawn.
    assert (drop_app.candidate_id, drop_app.status) == (keep.id, "interview")
    assert (keep_app.candidate_id, keep_app.status) == (drop.id, "withdrawn")
    assert (
        session.scalar(
            select(func.count()).select_from(Application).where(Application.candidate_id == keep.id)
        )
        == 1
    )


def test_merge_compensates_the_credit_of_the_withdrawn_duplicate(
    session, conf, applied, make_offer, make_user, make_link
):
    offer = make_offer()
    link = make_link(offer=offer)
    results = [
        apply(
            session,
            conf,
            offer_id=offer.id,
            data=apply_input(email=f"{n}@example.org", phone=""),
            cv_data=pdf_bytes(n),
            cv_filename="cv.pdf",
            ref_code=link.code,
        )
        for n in ("one", "two")
    ]
    session.commit()
    candidates.merge(session, results[1].candidate, results[0].candidate, actor=make_user())
    session.commit()
    total = session.scalar(
        select(func.sum(CreditEvent.points)).where(CreditEvent.agent_id == link.agent_id)
    )
    assert total == 1  # one person, one "applied" credit


def test_merge_refuses_nonsense(session, applied, make_user):
    a = applied(email="a@example.org").candidate
    with pytest.raises(InvalidInput):
        candidates.merge(session, a, a, actor=make_user())


def test_dismiss_keeps_both(session, applied, make_user):
    applied(email="a@example.org", phone="0612345678")
    applied(email="b@example.org", phone="0612345678")
    flag = session.scalar(select(DuplicateFlag))
    candidates.dismiss(session, flag.id, actor=make_user())
    session.commit()
    assert flag.resolution == "dismissed" and candidates.open_flags(session) == []

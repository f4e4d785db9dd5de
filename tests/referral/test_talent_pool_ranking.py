"""The simple TF-IDF ranking of referral/offers/scoring.py and the talent-pool selection."""

from __future__ import annotations

from datetime import date, timedelta

from referral.models import Candidate, CVFile, utcnow
from referral.offers import scoring, talentpool

pytest_plugins = ["tests.shortlist_fixtures"]


def _candidate(text: str, **fields) -> Candidate:
    c = Candidate(email=f"{abs(hash(text))}@mail.example", first_name="A", last_name="B", **fields)
    c.id = abs(hash(text)) % 100000
    c.cv_files = [
        CVFile(
            stored_name="x",
            original_name="x",
            mime_type="text/plain",
            size=1,
            sha256="0",
            text=text,
        )
    ]
    return c


def test_the_obviously_better_fit_comes_first_and_the_ranking_is_stable(session, make_offer):
    offer = make_offer(
        title="Développeur Python",
        description="Applications web Python et Django, PostgreSQL.",
        required_skills=["python", "django"],
    )
    good = _candidate("Développeur Python et Django, bases PostgreSQL, 6 ans.")
    poor = _candidate("Aide-soignante en EHPAD, soins, accompagnement des résidents.")
    empty = _candidate("")
    first = scoring.rank_pool(session, offer, [poor, empty, good])
    assert [c for c, _ in first][0] is good
    assert all(0 <= s <= 100 for _, s in first)
    assert dict((c.id, s) for c, s in first)[empty.id] == 0
    assert scoring.rank_pool(session, offer, [good, empty, poor]) == first
    assert scoring.rank_pool(session, offer, []) == []


def test_offers_for_a_candidate_are_open_ones_not_yet_applied_to(
    session, make_offer, make_application, make_candidate
):
    python = make_offer(title="Développeur Python", description="Python Django PostgreSQL.")
    nurse = make_offer(title="Infirmier", description="Soins infirmiers, EHPAD.")
    make_offer(title="Brouillon Python", status="draft")
    make_offer(title="Python clos", closing_date=date.today() - timedelta(days=1))
    applied = make_offer(title="Déjà postulé Python")
    candidate = make_candidate(cv_text="Développeur Python Django PostgreSQL.")
    make_application(applied, candidate)
    ranked = scoring.offers_for_candidate(session, candidate)
    assert [o.title for o, _ in ranked] == ["Développeur Python", "Infirmier"]
    assert ranked[0][1] > ranked[1][1]
    assert ranked[0][0] is python and ranked[1][0] is nurse


def test_the_pool_keeps_consenting_candidates_within_retention(
    session, make_offer, make_application, make_candidate
):
    offer, other = make_offer(), make_offer()
    ok = make_candidate(talent_pool_consent=True, consent_at=utcnow())
    no = make_candidate(talent_pool_consent=False)
    old = make_candidate(talent_pool_consent=True, retention_until=date.today() - timedelta(days=1))
    for c in (ok, no, old):
        make_application(other, c)
    assert talentpool.pool_for_offer(session, offer) == [ok]
    assert talentpool.pool_for_offer(session, other) == []  # they all applied there already
    assert talentpool.in_pool(ok) and not talentpool.in_pool(no) and not talentpool.in_pool(old)

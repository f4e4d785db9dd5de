"""On PostgreSQL: concurrent applications of one person to one offer, each in its own session."""

import threading

import pytest
from sqlalchemy import func, select

from referral.applications.applying import apply
from referral.models import Application, Candidate, CreditEvent, CVFile, Notification
from tests.applying import *  # noqa: F403
from tests.applying import apply_input, pdf_bytes
from tests.conftest import TEST_DATABASE_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not TEST_DATABASE_URL.startswith("postgresql"), reason="needs RELAIS_TEST_DATABASE_URL"
    ),
]
THREADS = 6


def run_concurrently(app, offer, code, nonce_of):
    state = app.extensions["relais"]
    barrier = threading.Barrier(THREADS)
    errors, results = [], []

    def worker(n):
        try:
            with state.sessions() as s:
                barrier.wait(5)
                result = apply(
                    s,
                    state.settings,
                    offer_id=offer.id,
                    data=apply_input(),
                    cv_data=pdf_bytes(f"CV version {n}"),
                    cv_filename="cv.pdf",
                    ref_code=code,
                    nonce=nonce_of(n),
                )
                s.commit()
                results.append(result)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors, results


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_concurrent_applications_leave_one_application_and_one_credit(
    app, session, make_offer, make_link
):
    offer = make_offer()
    link = make_link(offer=offer)
    errors, results = run_concurrently(app, offer, link.code, lambda n: f"nonce-{n}")
    assert errors == []
    assert len(results) == THREADS
    assert count(session, Candidate) == 1
    assert count(session, Application) == 1
    assert count(session, CreditEvent) == 1
    assert count(session, CVFile) == THREADS  # every CV version kept
    assert sum(1 for r in results if r.created) == 1
    assert (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "new_application")
        )
        == 1
    )


def test_one_form_submitted_concurrently_is_processed_once(app, session, make_offer, make_link):
    offer = make_offer()
    link = make_link(offer=offer)
    errors, results = run_concurrently(app, offer, link.code, lambda n: "one-form")
    assert errors == []
    assert count(session, Application) == 1 and count(session, CVFile) == 1
    assert count(session, CreditEvent) == 1
    files = list(app.extensions["relais"].settings.uploads_path.iterdir())
    assert len(files) == 1

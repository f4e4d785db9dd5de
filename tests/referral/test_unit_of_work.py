"""The unit of work: hooks that follow the outcome, and the use cases that run on it."""

from pathlib import Path

import pytest
from sqlalchemy import select

from referral import use_cases
from referral.errors import InvalidInput
from referral.models import Notification, NotificationPreference, OfferStatus, Role
from referral.unit_of_work import UnitOfWork
from tests.applying import apply_input, pdf_bytes


@pytest.fixture
def conf(app):
    return app.extensions["relais"].settings


class Urls:
    def offer_share(self, offer_id: int) -> str:
        return f"https://relais.example/share/{offer_id}"


def test_after_commit_hooks_run_on_commit_only(session):
    seen = []
    with UnitOfWork(session) as uow:
        uow.after_commit(lambda: seen.append("committed"))
        uow.after_rollback(lambda: seen.append("rolled back"))
        uow.commit()
    assert seen == ["committed"]


def test_leaving_without_commit_rolls_back_and_runs_the_rollback_hooks(session, make_direction):
    seen = []
    direction = make_direction()
    session.commit()
    with UnitOfWork(session) as uow:
        uow.after_commit(lambda: seen.append("committed"))
        uow.after_rollback(lambda: seen.append("rolled back"))
        direction.name = "Not kept"
    assert seen == ["rolled back"]
    assert session.get(type(direction), direction.id).name != "Not kept"
    with pytest.raises(RuntimeError), UnitOfWork(session) as uow:
        uow.after_rollback(lambda: seen.append("error"))
        raise RuntimeError
    assert seen == ["rolled back", "error"]


def test_publishing_tells_the_agents_who_asked(
    session, make_user, make_offer, make_direction, conf
):
    direction = make_direction()
    agent = make_user(direction_id=direction.id)
    session.add(NotificationPreference(user_id=agent.id, kind="new_offer", mode="immediate"))
    admin = make_user(Role.ADMIN)
    offer = make_offer(status=OfferStatus.DRAFT, direction=direction)
    session.commit()

    with UnitOfWork(session, actor=admin, settings=conf, urls=Urls()) as uow:
        use_cases.publish_offer(uow, offer)
        uow.commit()

    assert offer.status == OfferStatus.PUBLISHED.value
    rows = session.scalars(select(Notification).where(Notification.recipient_id == agent.id)).all()
    assert [r.link_url for r in rows] == [f"https://relais.example/share/{offer.id}"]


def test_publishing_an_incomplete_offer_tells_no_one(session, make_user, make_offer, conf):
    admin = make_user(Role.ADMIN)
    offer = make_offer(status=OfferStatus.DRAFT, description="")
    session.commit()
    with pytest.raises(InvalidInput), UnitOfWork(session, actor=admin, settings=conf) as uow:
        use_cases.publish_offer(uow, offer)
    assert session.get(type(offer), offer.id).status == OfferStatus.DRAFT.value


def test_an_application_rolled_back_leaves_no_cv_file(session, make_offer, conf, urls):
    offer = make_offer()
    session.commit()
    with UnitOfWork(session, settings=conf, urls=urls) as uow:
        result = use_cases.apply(
            uow, offer_id=offer.id, data=apply_input(), cv_data=pdf_bytes(), cv_filename="cv.pdf"
        )
        stored = Path(result.stored_path)
        assert stored.exists()
        uow.rollback()
    assert not stored.exists()


def test_an_application_committed_keeps_its_cv_file(session, make_offer, conf, urls):
    offer = make_offer()
    session.commit()
    with UnitOfWork(session, settings=conf, urls=urls) as uow:
        result = use_cases.apply(
            uow, offer_id=offer.id, data=apply_input(), cv_data=pdf_bytes(), cv_filename="cv.pdf"
        )
        uow.commit()
    assert Path(result.stored_path).exists()

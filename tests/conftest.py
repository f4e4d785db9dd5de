"""Fixtures in the style of flaskr's: ``app``, ``client``, ``runner``, ``auth``, factories.

The database is SQLite in a temporary folder, or PostgreSQL when ``RELAIS_TEST_DATABASE_URL``
is set (then the whole suite runs there). The schema is built once per run by the Alembic
migrations; each test starts from empty tables.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, event, text
from sqlalchemy.orm import Session

from referral.db import make_engine, read_only
from referral.models import Base, Direction, Offer, OfferStatus, Role, User, utcnow
from referral.people import users
from referral.schema import upgrade

PASSWORD = "correct horse battery"
TEST_DATABASE_URL = os.environ.get("RELAIS_TEST_DATABASE_URL", "")

# Argon2 with tiny parameters: the suite creates many accounts.
users.set_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A migrated, empty database for the whole run."""
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def empty_tables(engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # Self-references (direction tree, merged candidates) first, then every table.
            conn.execute(text("UPDATE direction SET parent_id = NULL"))
            conn.execute(text("UPDATE candidate SET merged_into_id = NULL"))
            conn.execute(text("UPDATE notification SET digest_id = NULL"))
            conn.execute(text("UPDATE credit_event SET reverses_id = NULL"))
            conn.execute(text("UPDATE share_link SET parent_link_id = NULL"))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(delete(table))


@pytest.fixture
def instance_path(tmp_path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def app_config(database_url, instance_path) -> dict:
    """Settings for the test app; tests may change it before asking for ``app``."""
    return {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RELAIS_DATABASE_URL": database_url,
        "RELAIS_INSTANCE_PATH": str(instance_path),
        "RELAIS_SECRET_KEY": "test-secret-key-not-for-production",
        "RELAIS_BASE_URL": "http://localhost",
        "RELAIS_WORKER_ENABLED": "false",
        # Visits written before the redirect, so that a test reads them at once; the journal
        # has its own tests (tests/web/test_visit_journal.py).
        "RELAIS_VISIT_JOURNAL": "false",
    }


@pytest.fixture
def app(app_config, engine):
    from web import create_app

    empty_tables(engine)
    application = create_app(app_config)
    yield application
    application.extensions["relais"].engine.dispose()
    empty_tables(engine)


@pytest.fixture
def sessions(app):
    """The app's session factory (for code that opens its own sessions, like the worker)."""
    return app.extensions["relais"].sessions


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app_config):
    """Runs the ``relais`` command with the test configuration in its environment."""
    from click.testing import CliRunner

    from web.cli import main

    env = {k: str(v) for k, v in app_config.items() if k.startswith("RELAIS_")}

    class Runner:
        def invoke(self, *args, **kwargs):
            kwargs.setdefault("env", env)
            return CliRunner().invoke(main, *args, **kwargs)

    return Runner()


@pytest.fixture
def session(app) -> Iterator[Session]:
    """A session on the test database; the test commits what it wants pages to see.

    On SQLite it reads outside transactions (referral.db.read_only), so that reading in a
    test never holds the write lock that the page it then asks for needs.
    """
    state = app.extensions["relais"]
    with state.sessions(bind=read_only(state.engine)) as s:
        yield s


_counter = itertools.count(1)


@pytest.fixture
def make_direction(session) -> Callable[..., Direction]:
    def make(name: str | None = None, parent: Direction | None = None) -> Direction:
        n = next(_counter)
        direction = Direction(name=name or f"Direction {n}", code=f"D{n}", parent=parent)
        session.add(direction)
        session.commit()
        return direction

    return make


@pytest.fixture
def make_user(session) -> Callable[..., User]:
    def make(*roles: Role | str, email: str | None = None, **fields) -> User:
        n = next(_counter)
        user = users.create_user(
            session,
            email=email or f"user{n}@region.example",
            first_name=fields.pop("first_name", f"Prénom{n}"),
            last_name=fields.pop("last_name", f"Nom{n}"),
            password=fields.pop("password", PASSWORD),
            roles=set(roles),
            **fields,
        )
        session.commit()
        return user

    return make


@pytest.fixture
def make_offer(session, make_direction, make_user) -> Callable[..., Offer]:
    def make(status: OfferStatus | str = OfferStatus.PUBLISHED, **fields) -> Offer:
        n = next(_counter)
        if "direction" not in fields and "direction_id" not in fields:
            fields["direction"] = make_direction()
        if "hiring_manager" not in fields and "hiring_manager_id" not in fields:
            fields["hiring_manager"] = make_user(Role.MANAGER)
        now = utcnow()
        offer = Offer(
            reference=fields.pop("reference", f"OFF-{n:04d}"),
            title=fields.pop("title", f"Chargé de mission numérique {n}"),
            description=fields.pop("description", "Une description du poste."),
            missions=fields.pop("missions", "Piloter des projets numériques."),
            profile=fields.pop("profile", "Expérience en gestion de projet."),
            required_skills=fields.pop("required_skills", ["gestion de projet"]),
            nice_skills=fields.pop("nice_skills", []),
            status=str(status),
            published_at=fields.pop(
                "published_at", now if str(status) != OfferStatus.DRAFT.value else None
            ),
            closing_date=fields.pop("closing_date", date.today() + timedelta(days=60)),
            location=fields.pop("location", "Lyon"),
            category=fields.pop("category", "A"),
            **fields,
        )
        session.add(offer)
        session.commit()
        return offer

    return make


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email: User | str, password: str = PASSWORD, remember=False):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        return self._client.post(
            "/login",
            data={"email": email, "password": password, "remember": "y" if remember else ""},
        )

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...; counter.count`` — SQL statements executed."""

    @contextmanager
    def counting():
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()
        counter.statements = []
        engine = app.extensions["relais"].engine

        def before(_conn, _cursor, statement, *_args):
            counter.count += 1
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting

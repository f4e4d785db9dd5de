"""One SQLAlchemy session per request, closed at teardown; views change data only through
``web.unit_of_work.transaction()``, which commits or rolls back for them."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from referral.db import read_only


def state():
    return current_app.extensions["relais"]


def settings():
    """The effective Relais settings of the running app."""
    return current_app.extensions["relais"].settings


def urls():
    """The app's addresses for the domain's links (``referral.unit_of_work.Urls``)."""
    return current_app.extensions["relais"].urls


READING_METHODS = ("GET", "HEAD", "OPTIONS")


def db() -> Session:
    """The request's session (created on first use).

    A GET reads (on SQLite its transactions begin deferred and never wait for a writer); any
    other request may write, so on SQLite its transactions take the write lock at once
    (referral.db.make_engine). A GET that must write uses writing_session().
    """
    if "db_session" not in g:
        if has_request_context() and request.method in READING_METHODS:
            g.db_session = state().sessions(bind=read_only(state().engine))
        else:
            g.db_session = state().sessions()
    return g.db_session


def writing_session() -> Session:
    """A session of its own for a short write during a GET (commit it, then close it)."""
    return state().sessions()


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

"""One SQLAlchemy session per request, closed at teardown; views commit what they change."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session


def state():
    return current_app.extensions["relais"]


def settings():
    """The effective Relais settings of the running app."""
    return current_app.extensions["relais"].settings


def db() -> Session:
    """The request's session (created on first use)."""
    if "db_session" not in g:
        g.db_session = state().sessions()
    return g.db_session


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

"""The Flask application: one factory, one blueprint per audience (see STYLE.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from referral.config import Settings, load_settings, prepare_instance


class RelaisState:
    """What the app shares with its views: the settings, the engine, the session factory."""

    def __init__(self, settings: Settings):
        from referral.db import make_engine, session_factory

        self.settings = settings
        self.engine = make_engine(settings.effective_database_url)
        self.sessions = session_factory(self.engine)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``RELAIS_`` environment variables, then ``config``.

    Keys of ``config`` that start with ``RELAIS_`` override the environment variables of the
    same name; other keys go to ``app.config`` (tests use that).
    """
    import os

    config = dict(config or {})
    environ = dict(os.environ)
    environ.update({k: str(v) for k, v in config.items() if k.startswith("RELAIS_")})
    settings = prepare_instance(load_settings(environ))

    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=int(settings.max_upload_mb * 1024 * 1024) + 256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        # Two weeks, not Flask-Login's year; signing out ends it anyway (users.end_sessions).
        REMEMBER_COOKIE_DURATION=timedelta(days=14),
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url,
        RATELIMIT_HEADERS_ENABLED=True,
        PREFERRED_URL_SCHEME="https" if settings.base_url.startswith("https") else "http",
    )
    app.config.update({k: v for k, v in config.items() if not k.startswith("RELAIS_")})
    app.extensions["relais"] = RelaisState(settings)
    # The domain's links (e-mails, notifications), built from this app's routes, with or
    # without a request (the worker, the CLI): referral.unit_of_work.Urls.
    from web.unit_of_work import FlaskUrls

    app.extensions["relais"].urls = FlaskUrls(app=app)
    # Unset, `relais run`/`demo` derive it from the address they serve on (web/base_address.py).
    app.extensions["relais"].base_url_set = bool(environ.get("RELAIS_BASE_URL", "").strip())

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_fast_paths(app)
    return app


def register_extensions(app: Flask) -> None:
    """Database session per request, login, CSRF, i18n, rate limits, security headers."""
    from web import base_address, database, extensions, offer_labels, oidc, security, templating

    base_address.init_app(app)
    database.init_app(app)
    extensions.init_app(app)
    oidc.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    offer_labels.init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per audience."""
    from web.views import (
        account,
        admin,
        agent,
        analytics,
        apply,
        auth,
        candidate_mail,
        credits_admin,
        duplicates,
        inbox,
        interviews,
        linkedin,
        manager,
        notifications_admin,
        offers,
        public,
        recruiter,
        referrals,
        share,
        status,
    )

    for module in (
        public,
        offers,
        apply,
        auth,
        account,
        inbox,
        agent,
        share,
        referrals,
        manager,
        recruiter,
        duplicates,
        analytics,
        linkedin,
        admin,
        credits_admin,
        notifications_admin,
        candidate_mail,
        interviews,
        status,
    ):
        app.register_blueprint(module.bp)


def register_errorhandlers(app: Flask) -> None:
    """Error pages in the site's layout, and domain errors mapped to HTTP answers."""
    from web import errors

    errors.init_app(app)


def register_fast_paths(app: Flask) -> None:
    """WSGI layers in front of Flask for the hottest path: a person following a share link."""
    from web import fastlinks

    fastlinks.init_app(app)
    proxies = app.extensions["relais"].settings.proxies
    if proxies:
        # Outermost, so that the fast path too sees the visitor's address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )


def register_commands(app: Flask) -> None:
    """Nothing here: the ``relais`` command line lives in web/cli.py and builds its own app."""

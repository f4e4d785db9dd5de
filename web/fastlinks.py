"""The fast path of ``/r/<code>`` for people: count the visit, set the cookie, redirect.

A share link is followed far more often than any page is viewed, and each follow is a write.
This WSGI layer answers the common case — a person's GET, not signed in, on an active link —
without Flask's request machinery (session, login, locale, rate limiter, templates), with the
same domain rules (:mod:`referral.sharing.links`, :mod:`referral.sharing.touches`) and the same answer as the
``offers.follow_link`` view. Everything else goes to that view: crawlers (they get the offer
page), HEAD requests, visitors with a session cookie (possibly the link's owner), unknown or
revoked codes (the helpful 404 page), and any database error.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.http import http_date, parse_cookie

from referral.models import OfferStatus, utcnow
from referral.sharing import visit_journal, visit_writer
from referral.sharing.touches import COOKIE_NAME, add_touch
from web.offer_labels import slug
from web.security import CSP

log = logging.getLogger(__name__)
PREFIX = "/r/"
BODY = b"<!doctype html>\n<title>Redirecting</title>\n"
SIGNED_IN_COOKIES = ("session=", "remember_token=")


class FastLinks:
    """WSGI middleware in front of the Flask app; see the module's docstring."""

    def __init__(self, app: Flask, wsgi_app):
        state = app.extensions["relais"]
        self.flask_app = app
        self.wsgi_app = wsgi_app
        self.settings = state.settings
        self.writer = visit_writer.VisitWriter(
            state.engine, str(state.settings.instance_path / "visits.lock")
        )
        # Visits go to the journal (loaded into the database by a thread); the writer is the
        # fallback when the journal cannot be written.
        self.journal: visit_journal.Journal | None = None
        if self.settings.visit_journal:
            self.journal = visit_journal.Journal(
                self.settings.instance_path / "visits",
                state.sessions,
                interval=self.settings.visit_journal_interval_s,
            )
            self.journal.start()
        self.urls = app.url_map.bind("localhost", script_name="/")
        window = self.settings.attribution_window_days
        self.max_age = int(timedelta(days=window).total_seconds())
        self.static_headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(BODY))),
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy", CSP),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("X-Frame-Options", "DENY"),
        ]
        # What dump_cookie() writes after the value (checked against it in the tests).
        secure = "; Secure" if self.settings.session_cookie_secure else ""
        self.cookie_tail = f"; Max-Age={self.max_age}{secure}; HttpOnly; Path=/; SameSite=Lax"

    @lru_cache(maxsize=4096)  # noqa: B019 - one instance per app, bounded
    def offer_path(self, offer_id: int, title: str) -> str:
        """The offer page's path, built by the URL map like url_for (cached per offer title)."""
        return self.urls.build("offers.offer_page", {"offer_id": offer_id, "slug": slug(title)})

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX) or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        self.writer.arrive()
        try:
            answer = self.follow(environ, path[len(PREFIX) :])
        finally:
            self.writer.leave()
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers = answer
        start_response(status, headers)
        return [BODY]

    def follow(self, environ, code: str):
        """The answer for a person on an active link, or None to let the view answer."""
        user_agent = environ.get("HTTP_USER_AGENT", "")
        cookies = environ.get("HTTP_COOKIE", "")
        if visit_writer.is_bot(user_agent) or any(name in cookies for name in SIGNED_IN_COOKIES):
            return None
        if "/" in code:
            return None
        now = utcnow()
        secret = self.settings.secret_key
        try:
            target = self.writer.resolve(code)
            if target is None:
                return None
            visitor = visit_writer.visitor_hash(
                secret, now.date(), environ.get("REMOTE_ADDR", ""), user_agent
            )
            self.record(target.link_id, visitor, _referrer_host(environ), now)
        except Exception:  # noqa: BLE001 - nothing was written: the view handles (and reports) it
            log.exception("fast path of /r/ failed; falling back to the view")
            return None
        open_offer = target.offer_status == OfferStatus.PUBLISHED.value and (
            target.closing_date is None or target.closing_date >= now.date()
        )
        location = environ.get("SCRIPT_NAME", "").rstrip("/") + self.offer_path(
            target.offer_id, target.offer_title
        )
        if not open_offer:
            return "302 FOUND", [("Location", location), *self.static_headers]
        # The code is made of URL-safe letters and digits only (links.ALPHABET).
        headers = [("Location", f"{location}?ref={code}"), *self.static_headers]
        old = parse_cookie(cookies).get(COOKIE_NAME) if cookies else None
        value = add_touch(secret, old, code, now, self.settings.attribution_window_days)
        expires = http_date(now + timedelta(seconds=self.max_age))
        headers.append(
            ("Set-Cookie", f"{COOKIE_NAME}={value}; Expires={expires}{self.cookie_tail}")
        )
        return "302 FOUND", headers

    def record(self, link_id: int, visitor: str, referrer_host: str | None, now) -> None:
        """Journal a person's visit; written to the database at once if the journal fails."""
        if self.journal is not None:
            try:
                self.journal.append(link_id, now, visitor, False, referrer_host)
                return
            except OSError:
                log.exception("visit journal not writable; writing the visit to the database")
        self.writer.record_person(link_id, visitor, referrer_host, now)


def _referrer_host(environ) -> str | None:
    referrer = environ.get("HTTP_REFERER")
    if not referrer:
        return None
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    return host[:255] if host else None


def init_app(app: Flask) -> None:
    app.wsgi_app = FastLinks(app, app.wsgi_app)  # type: ignore[method-assign]

"""The one place that writes the attribution cookie (``referral.sharing.touches``) into an answer.

The ``/r/<code>`` fast path (``web/fastlinks.py``, raw WSGI headers), the ``/r/<code>`` view and
the apply form (Flask responses) all set it through :func:`header`, so its attributes (lifetime,
``HttpOnly``, ``SameSite``, ``Secure``) cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from werkzeug.http import http_date

from referral.config import Settings
from referral.sharing.touches import COOKIE_NAME


@lru_cache(maxsize=8)
def _tail(window_days: int, secure: bool) -> tuple[int, str]:
    # What werkzeug's dump_cookie() writes after the value, built once per configuration.
    max_age = int(timedelta(days=window_days).total_seconds())
    flag = "; Secure" if secure else ""
    return max_age, f"; Max-Age={max_age}{flag}; HttpOnly; Path=/; SameSite=Lax"


def header(settings: Settings, value: str, now: datetime) -> tuple[str, str]:
    """The ``Set-Cookie`` header that keeps ``value`` for the attribution window.

    ``value`` comes from ``referral.sharing.touches`` (URL-safe signed text: nothing to quote).
    """
    max_age, tail = _tail(settings.attribution_window_days, settings.session_cookie_secure)
    expires = http_date(now + timedelta(seconds=max_age))
    return "Set-Cookie", f"{COOKIE_NAME}={value}; Expires={expires}{tail}"


def set_on(response, settings: Settings, value: str, now: datetime):
    """Add the cookie to a Flask response; the response."""
    response.headers.add(*header(settings, value, now))
    return response

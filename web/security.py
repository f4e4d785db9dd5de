"""Security headers on every answer (a Content-Security-Policy with no inline script), and
the one check of a redirect target taken from a request."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Flask, Response

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    csp = CSP
    issuer = app.extensions["relais"].settings.oidc_issuer
    if issuer:
        # Signing out (a form) ends with a redirect to the identity provider's sign-out page:
        # browsers hold the redirects of a form to its form-action.
        csp = CSP.replace("form-action 'self'", f"form-action 'self' {origin(issuer)}")

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


def safe_next_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (where to go after a form).

    Browsers forgive a lot in a ``Location``: they drop tabs and line breaks, read ``\\`` as
    ``/``, and take ``//host`` (or ``/\\host``) as another site. So only printable ASCII is
    accepted (what ``url_for`` writes), with no backslash, no scheme, no host, and no ``//``
    at the start, and no control character, even once percent-decoded.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if any(not ("!" <= ch <= "~") for ch in target) or "\\" in target:
        return None
    decoded = unquote(target)
    if decoded.startswith("//") or "\\" in decoded or target.startswith("//"):
        return None
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in decoded):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target

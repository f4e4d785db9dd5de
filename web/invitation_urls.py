"""The addresses an invitation e-mail links to, for the batch the worker sends later
(referral.people.invitations): the domain spells no URL, so the web layer gives them."""

from __future__ import annotations

from flask import url_for

from referral.config import Settings


def invitation_urls(conf: Settings) -> dict[str, str | None]:
    """``set_password_url`` (the worker appends each token) and ``sign_in_url`` (set when the
    staff sign in with the organisation's identity provider: the e-mail then links there)."""
    base = conf.base_url.rstrip("/")
    return {
        "set_password_url": base + url_for("auth.reset_password", token="x")[:-1],  # noqa: S106 - a placeholder, cut
        "sign_in_url": base + url_for("auth.login") if conf.oidc_enabled else None,
    }

"""Sign-in with the organisation's identity provider: who a verified ID token is.

The web layer (web/oidc.py, with Authlib) runs the OpenID Connect exchange and checks the ID
token (signature, issuer, audience, expiry, nonce); it hands the claims here. This module
decides which account they open, in this order:

1. the account already linked to this provider's account (issuer and ``sub``);
2. the account with the employee number of the configured claim (the staff import's key);
3. the account with the e-mail, only if the provider verified it (``email_verified`` true, or
   a provider configured as vouching for its e-mails);
4. nobody: refused, or created as an agent when the organisation turned that on (placed in the
   direction whose code the configured claim carries).

The account is then linked to the provider's account, so that a later change of e-mail or
employee number at the provider still opens the same account. Every refusal is a
:class:`SignInRefused` with a message for the person; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from referral import audit
from referral.errors import DomainError, InvalidInput
from referral.messages import N_
from referral.models import User
from referral.people import directions, users
from referral.unit_of_work import UnitOfWork

# Why a sign-in was refused (SignInRefused.reason); the web layer words each for the person.
UNKNOWN = "unknown"
EMAIL_NOT_VERIFIED = "email_not_verified"
INACTIVE = "inactive"
LINKED_ELSEWHERE = "linked_elsewhere"
INCOMPLETE = "incomplete"

MESSAGES = {
    UNKNOWN: N_(
        "Your organisation's account is not known to Relais. Ask the administrator of Relais "
        "to create your account (or to import it from the staff directory)."
    ),
    EMAIL_NOT_VERIFIED: N_(
        "Your identity provider has not verified your e-mail address, so Relais cannot tell "
        "which account is yours. Verify it with your provider, or ask the administrator of "
        "Relais to record your employee number."
    ),
    INACTIVE: N_("Your Relais account is deactivated. Ask the administrator of Relais."),
    LINKED_ELSEWHERE: N_(
        "This Relais account is already linked to another account of your identity provider. "
        "Ask the administrator of Relais."
    ),
    INCOMPLETE: N_(
        "Your identity provider did not send the information Relais needs (an identifier and "
        "an e-mail address). Ask the administrator of Relais."
    ),
}


class SignInRefused(DomainError):
    """The provider's person may not sign in; ``reason`` is one of the constants above."""

    def __init__(self, reason: str) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason
        self.template = MESSAGES[reason]


@dataclass(frozen=True)
class Identity:
    """What the provider says about the person, with the configured claim names applied."""

    issuer: str
    subject: str
    email: str = ""
    email_verified: bool = False
    given_name: str = ""
    family_name: str = ""
    employee_number: str = ""
    direction_code: str = ""


def _text(claims: Mapping[str, Any], name: str) -> str:
    if not name:
        return ""
    value = claims.get(name)
    return str(value).strip() if value is not None else ""


def identity_from_claims(claims: Mapping[str, Any], *, issuer: str, settings: Any) -> Identity:
    """The :class:`Identity` in ``claims`` (the ID token's, completed by the userinfo's).

    ``email_verified`` must be the JSON ``true`` (some providers send the string "true");
    without the claim, only a provider configured as vouching for its e-mails counts.
    """
    verified_claim = claims.get("email_verified")
    if isinstance(verified_claim, str):
        verified_claim = verified_claim.strip().lower() == "true"
    if verified_claim is None:
        verified = bool(settings.oidc_email_verified_by_provider)
    else:
        verified = verified_claim is True
    return Identity(
        issuer=issuer,
        subject=_text(claims, "sub"),
        email=_text(claims, settings.oidc_claim_email).lower(),
        email_verified=verified,
        given_name=_text(claims, settings.oidc_claim_given_name),
        family_name=_text(claims, settings.oidc_claim_family_name),
        employee_number=_text(claims, settings.oidc_claim_employee_number),
        direction_code=_text(claims, settings.oidc_claim_direction),
    )


def find_linked(uow: UnitOfWork, identity: Identity) -> User | None:
    return uow.session.scalar(
        select(User).where(
            User.oidc_issuer == identity.issuer, User.oidc_subject == identity.subject
        )
    )


def _match(uow: UnitOfWork, identity: Identity) -> User | None:
    user = find_linked(uow, identity)
    if user is None and identity.employee_number:
        user = users.find_by_employee_number(uow.session, identity.employee_number)
    if user is None and identity.email:
        by_email = users.find_by_email(uow.session, identity.email)
        if by_email is not None and not identity.email_verified:
            raise SignInRefused(EMAIL_NOT_VERIFIED)
        user = by_email
    return user


def _create_agent(uow: UnitOfWork, identity: Identity) -> User:
    if not identity.email_verified:
        raise SignInRefused(EMAIL_NOT_VERIFIED)
    direction = (
        directions.find_by_code(uow.session, identity.direction_code)
        if identity.direction_code
        else None
    )
    try:
        return users.create_user(
            uow.session,
            email=identity.email,
            first_name=identity.given_name or identity.email.split("@")[0],
            last_name=identity.family_name,
            direction_id=direction.id if direction is not None else None,
            employee_number=identity.employee_number or None,
            actor=None,
        )
    except InvalidInput:  # an unusable e-mail, or a number taken meanwhile
        raise SignInRefused(INCOMPLETE) from None


def sign_in(uow: UnitOfWork, identity: Identity) -> User:
    """The account ``identity`` opens (see the module), linked and stamped; the caller commits.

    Raises :class:`SignInRefused` (nothing written) when there is none or it may not sign in.
    """
    if not identity.subject or not identity.issuer:
        raise SignInRefused(INCOMPLETE)
    user = _match(uow, identity)
    if user is None:
        if not (uow.settings is not None and uow.settings.oidc_create_unknown):
            raise SignInRefused(UNKNOWN)
        if not identity.email:
            raise SignInRefused(INCOMPLETE)
        user = _create_agent(uow, identity)
    if not user.active:
        raise SignInRefused(INACTIVE)
    if user.oidc_subject is not None and (user.oidc_issuer, user.oidc_subject) != (
        identity.issuer,
        identity.subject,
    ):
        raise SignInRefused(LINKED_ELSEWHERE)
    now = uow.now()
    if user.oidc_subject is None:
        user.oidc_issuer, user.oidc_subject = identity.issuer, identity.subject
        audit.record(uow.session, user, "user.sso_link", "user", user.id, issuer=identity.issuer)
    user.last_login_at = now
    if user.activated_at is None:
        user.activated_at = now
    return user

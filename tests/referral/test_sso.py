"""Which account an identity provider's person opens (referral.people.sso), and its settings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral.config import ConfigError, load_settings
from referral.models import User
from referral.people import sso
from referral.unit_of_work import UnitOfWork

ISSUER = "https://idp.example.org"


def _settings(**more):
    return load_settings(
        {},
        oidc_issuer=ISSUER,
        oidc_client_id="relais",
        oidc_claim_employee_number="employee_number",
        **more,
    )


def _identity(**claims):
    return sso.identity_from_claims({"sub": "s-1", **claims}, issuer=ISSUER, settings=_settings())


@pytest.mark.parametrize(
    ("claim", "verified"),
    [(True, True), ("true", True), (False, False), ("false", False), (None, False), (1, False)],
)
def test_only_a_true_email_verified_counts(claim, verified):
    claims = {"email": "A@x.org"} | ({} if claim is None else {"email_verified": claim})
    identity = _identity(**claims)
    assert identity.email_verified is verified and identity.email == "a@x.org"


def test_a_provider_that_vouches_for_its_e_mails_counts_when_the_claim_is_absent():
    conf = _settings(oidc_email_verified_by_provider=True)
    absent = sso.identity_from_claims(
        {"sub": "s", "email": "a@x.org"}, issuer=ISSUER, settings=conf
    )
    refused = sso.identity_from_claims(
        {"sub": "s", "email": "a@x.org", "email_verified": False}, issuer=ISSUER, settings=conf
    )
    assert absent.email_verified and not refused.email_verified


def test_configured_claim_names_are_read():
    conf = _settings(oidc_claim_family_name="usual_name", oidc_claim_direction="dir")
    identity = sso.identity_from_claims(
        {"sub": "s", "usual_name": "Martin", "dir": "DSI", "employee_number": 42},
        issuer=ISSUER,
        settings=conf,
    )
    assert (identity.family_name, identity.direction_code, identity.employee_number) == (
        "Martin",
        "DSI",
        "42",
    )


def test_employee_number_wins_over_e_mail(session, make_user):
    by_number = make_user(employee_number="E1")
    make_user(email="claire@x.org")
    uow = UnitOfWork(session, settings=_settings())
    user = sso.sign_in(
        uow, _identity(employee_number="E1", email="claire@x.org", email_verified=True)
    )
    assert user.id == by_number.id and user.oidc_subject == "s-1"


def test_an_account_linked_to_another_provider_account_is_refused(session, make_user):
    user = make_user(email="claire@x.org")
    user.oidc_issuer, user.oidc_subject = ISSUER, "someone-else"
    session.commit()
    uow = UnitOfWork(session, settings=_settings())
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sign_in(uow, _identity(email="claire@x.org", email_verified=True))
    assert refused.value.reason == sso.LINKED_ELSEWHERE


def test_no_subject_is_refused(session):
    uow = UnitOfWork(session, settings=_settings(oidc_create_unknown=True))
    identity = sso.identity_from_claims({"email": "a@x.org"}, issuer=ISSUER, settings=_settings())
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sign_in(uow, identity)
    assert refused.value.reason == sso.INCOMPLETE


def test_an_unknown_person_with_an_unverified_e_mail_is_not_created(session):
    uow = UnitOfWork(session, settings=_settings(oidc_create_unknown=True))
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sign_in(uow, _identity(email="new@x.org", email_verified=False))
    assert refused.value.reason == sso.EMAIL_NOT_VERIFIED
    assert session.scalar(select(func.count(User.id))) == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"oidc_client_id": ""}, "RELAIS_OIDC_CLIENT_ID: required"),
        ({"oidc_scopes": "email profile"}, "RELAIS_OIDC_SCOPES: must include openid"),
        ({"oidc_extra_params": "acr_values"}, "RELAIS_OIDC_EXTRA_PARAMS: expected name=value"),
        ({"oidc_issuer": "idp.example.org"}, "RELAIS_OIDC_ISSUER: expected the issuer's https"),
        ({"oidc_timeout_s": 0}, "RELAIS_OIDC_TIMEOUT_S: must be greater than 0"),
    ],
)
def test_oidc_settings_are_checked(values, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({}, **{"oidc_issuer": ISSUER, "oidc_client_id": "relais", **values})


def test_extra_params_and_secret_masking():
    from referral.config import oidc_extra_params

    conf = load_settings(
        {
            "RELAIS_OIDC_ISSUER": ISSUER,
            "RELAIS_OIDC_CLIENT_ID": "relais",
            "RELAIS_OIDC_CLIENT_SECRET": "s3cret",
            "RELAIS_OIDC_EXTRA_PARAMS": "acr_values=eidas1&prompt=login",
        }
    )
    assert oidc_extra_params(conf) == {"acr_values": "eidas1", "prompt": "login"}
    assert conf.masked()["RELAIS_OIDC_CLIENT_SECRET"] == "****"

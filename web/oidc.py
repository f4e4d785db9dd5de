"""OpenID Connect with the organisation's identity provider, through Authlib's Flask client.

Authlib does the protocol: discovery (``<issuer>/.well-known/openid-configuration``), the
authorization request with ``state``, ``nonce`` and PKCE (S256), the state kept in the session
and removed on first use, the code exchange, and the ID token's checks (signature against the
provider's published keys, ``iss`` equal to the discovered issuer, ``aud`` holding our client
id, ``exp``/``iat``, ``nonce`` equal to the one sent, ``at_hash``). What it does not do is
added here:

- ``aud`` must hold our client id: Authlib checks the audience only when told which one
  (``claims_options``), else only ``azp`` stands in the way of a token issued to another
  client (a test found it);
- the discovery document's ``issuer`` must be the configured issuer (OpenID Connect Discovery
  §4.3; Authlib trusts whatever the document says);
- a token response without an ID token is refused (Authlib then returns no claims and no
  error);
- the ID token must be signed with an asymmetric algorithm (never ``none`` nor a shared-secret
  HMAC), whatever the provider's metadata lists;
- claims missing from the ID token are read from the userinfo endpoint, whose ``sub`` must be
  the ID token's;
- every call to the provider has a timeout (``RELAIS_OIDC_TIMEOUT_S``).

Which account the verified claims open is the domain's decision (``referral.people.sso``).
"""

from __future__ import annotations

import json
import logging
from base64 import urlsafe_b64decode
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from referral.config import Settings, oidc_extra_params

log = logging.getLogger(__name__)

NAME = "sso"
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class ProviderAnswerRefused(Exception):
    """The provider's answer is not one Relais accepts (see the module); the message says why
    for the log, never for the person."""


def init_app(app: Flask) -> None:
    """Register the provider's client when ``RELAIS_OIDC_ISSUER`` is set (one per app)."""
    conf: Settings = app.extensions["relais"].settings
    if not conf.oidc_enabled:
        return
    oauth = OAuth(app)
    oauth.register(
        NAME,
        client_id=conf.oidc_client_id,
        client_secret=conf.oidc_client_secret or None,
        server_metadata_url=conf.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": conf.oidc_scopes,
            "code_challenge_method": "S256",
            "default_timeout": conf.oidc_timeout_s,
        },
    )
    app.extensions["relais_oidc"] = oauth


def client() -> Any:
    """The registered Authlib client of the current app."""
    return current_app.extensions["relais_oidc"].create_client(NAME)


def metadata() -> dict[str, Any]:
    """The provider's discovery document (fetched once per process), its issuer checked."""
    conf: Settings = current_app.extensions["relais"].settings
    data = client().load_server_metadata()
    if data.get("issuer") != conf.oidc_issuer:
        # Forget it: a corrected document is read again on the next sign-in.
        client().server_metadata.clear()
        raise ProviderAnswerRefused(
            f"the discovery document names issuer {data.get('issuer')!r}, not {conf.oidc_issuer!r}"
        )
    return data


def claims_options() -> dict[str, Any]:
    """What the ID token's ``iss`` and ``aud`` must be (Authlib checks them only if told)."""
    conf: Settings = current_app.extensions["relais"].settings
    return {
        "iss": {"essential": True, "values": [metadata()["issuer"]]},
        "aud": {"essential": True, "values": [conf.oidc_client_id]},
    }


def authorization_params() -> dict[str, str]:
    """The organisation's extra parameters of the authorization request (``acr_values``…)."""
    return oidc_extra_params(current_app.extensions["relais"].settings)


def _header(jwt: str) -> dict[str, Any]:
    head = jwt.split(".", 1)[0]
    try:
        return json.loads(urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        raise ProviderAnswerRefused("the ID token is not a JWT") from None


def verified_claims(token: dict[str, Any]) -> dict[str, Any]:
    """The claims of the token response Authlib checked, completed by the userinfo endpoint.

    Raises ProviderAnswerRefused for what Authlib lets through (see the module).
    """
    id_token = token.get("id_token")
    claims = token.get("userinfo")
    if not id_token or claims is None:
        raise ProviderAnswerRefused("the token response has no ID token")
    alg = _header(id_token).get("alg")
    if alg not in SIGNING_ALGORITHMS:
        raise ProviderAnswerRefused(f"the ID token is signed with {alg!r}")
    claims = dict(claims)
    conf: Settings = current_app.extensions["relais"].settings
    wanted = [
        name
        for name in (
            conf.oidc_claim_email,
            conf.oidc_claim_given_name,
            conf.oidc_claim_family_name,
            conf.oidc_claim_employee_number,
            conf.oidc_claim_direction,
        )
        if name
    ]
    endpoint = metadata().get("userinfo_endpoint")
    if endpoint and any(name not in claims for name in wanted):
        info = _userinfo(endpoint, token)
        if info.get("sub") != claims.get("sub"):
            raise ProviderAnswerRefused("the userinfo's sub differs from the ID token's")
        claims = {**info, **claims}
    return claims


def _userinfo(endpoint: str, token: dict[str, Any]) -> dict[str, Any]:
    """The userinfo answer: JSON, or a JWT signed by the provider (ProConnect's is one)."""
    response = client().get(endpoint, token=token)
    response.raise_for_status()
    if response.headers.get("content-type", "").split(";")[0].strip() != "application/jwt":
        return response.json()
    from joserfc import jwt
    from joserfc.jwk import KeySet

    text = response.text.strip()
    if _header(text).get("alg") not in SIGNING_ALGORITHMS:
        raise ProviderAnswerRefused("the userinfo JWT is not signed with an accepted algorithm")
    keys = KeySet.import_key_set(client().fetch_jwk_set())
    decoded = jwt.decode(text, keys, algorithms=sorted(SIGNING_ALGORITHMS))
    issuer = current_app.extensions["relais"].settings.oidc_issuer
    if decoded.claims.get("iss", issuer) != issuer:
        raise ProviderAnswerRefused("the userinfo JWT names another issuer")
    return dict(decoded.claims)

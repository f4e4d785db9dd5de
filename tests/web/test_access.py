"""Every route declares who may open it, and answers accordingly for every role.

A new route without an access rule (``@public`` or ``@roles_required``) fails this test.
"""

import pytest

from referral.models import Role

ROLES = {
    "anonymous": None,
    "agent": (),
    "manager": (Role.MANAGER,),
    "recruiter": (Role.RECRUITER,),
    "admin": (Role.ADMIN,),
}


# Walked last, since it ends the session of the user walking the routes.
LAST = ("auth.logout",)


def _routes(app):
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint in LAST)
    for rule in rules:
        if rule.endpoint == "static":
            continue
        yield rule, app.view_functions[rule.endpoint]


def test_every_route_has_an_access_rule(app):
    missing = [rule.rule for rule, view in _routes(app) if not hasattr(view, "access")]
    assert missing == []


def _fill(rule):
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        values[arg] = 999999 if converter == "IntegerConverter" else "zz999999"
    return values


@pytest.mark.parametrize("role", list(ROLES))
def test_every_route_answers_each_role_as_expected(app, client, auth, make_user, role):
    if ROLES[role] is not None:
        auth.login(make_user(*ROLES[role]))
    user_roles = set() if ROLES[role] is None else {Role.AGENT, *ROLES[role]}
    failures = []
    for rule, view in _routes(app):
        url = app.url_map.bind("localhost").build(rule.endpoint, _fill(rule))
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        code = response.status_code
        assert code < 500, f"{method} {url} as {role}: {code}"
        access = view.access
        if access == "public":
            continue
        allowed = bool(user_roles & set(access))
        if ROLES[role] is None:
            ok = code == 302 and "/login" in response.headers.get("Location", "")
        elif not allowed:
            ok = code == 403
        else:
            ok = code not in (401, 403)
        if not ok:
            failures.append(f"{method} {url} as {role}: {code}")
    assert failures == []

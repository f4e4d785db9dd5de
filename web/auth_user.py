"""Loading the signed-in user, and the access rules every view declares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user
from flask_login.config import EXEMPT_METHODS  # noqa: F401 - documents that HEAD/OPTIONS pass
from flask_login.utils import login_required

from referral.models import Role, User
from web.database import db

F = TypeVar("F", bound=Callable)


def load_user_from_id(session_id: str) -> User | None:
    user_id, _, stamp = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db().get(User, int(user_id))
    if user is None or not user.active or user.get_id() != session_id:
        return None
    return user


def public(view: F) -> F:
    """Mark a view as open to everyone (the route-walk test requires a rule on every view)."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed-in users holding at least one of ``roles`` (agent: any member of staff)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        guarded = login_required(wrapper)
        guarded.access = frozenset(roles)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


staff_required = roles_required(Role.AGENT)


def home_endpoint(user: User) -> str:
    """Where a user lands after signing in: their most specific role's home page."""
    for role, endpoint in (
        (Role.ADMIN, "admin.home"),
        (Role.RECRUITER, "recruiter.home"),
        (Role.MANAGER, "manager.home"),
    ):
        if user.has_role(role):
            return endpoint
    return "agent.home"

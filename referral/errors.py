"""The one shape of a refusal of the domain: :class:`DomainError`.

A refusal carries an English message *template* (marked for the catalogue with ``N_``, see
:mod:`referral.messages`), the *parameters* that fill it and the *field* of the input it is
about (``None``: the request as a whole). ``referral`` imports no Flask and translates
nothing: ``str(error)`` is the English text (logs, the CLI), and the web edge translates the
template once, for every refusal alike (``web/errors.py``: ``refusal_text``, ``field_errors``).
Subclasses say what kind of refusal it is, for the HTTP status (not found, forbidden, invalid
input), never how it is worded.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the operation; its message is safe to show."""

    def __init__(self, template: str = "", *, field: str | None = None, **params: Any):
        self.template = template or "The operation was refused."
        self.field = field
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The English text: the template filled with its parameters."""
        if not self.params:
            return self.template
        try:
            return self.template % self.params
        except (KeyError, TypeError, ValueError):
            return self.template


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class Forbidden(DomainError):
    """The actor may not do this."""


class InvalidInput(DomainError):
    """Input that fails validation. ``errors`` maps field names to messages (English
    templates), or to codes for the forms that word their own (the apply form); the
    refusal's own ``field``, when it has one, maps to its message."""

    def __init__(
        self,
        template: str = "",
        errors: dict[str, str] | None = None,
        *,
        field: str | None = None,
        **params: Any,
    ):
        super().__init__(template, field=field, **params)
        self.errors = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = self.message


class AuthenticationFailed(DomainError):
    """Wrong e-mail or password (deliberately not saying which)."""


class AccountLocked(DomainError):
    """Too many failed sign-ins; the account is slowed down for a while."""

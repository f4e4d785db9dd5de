"""Domain exceptions. ``web/`` maps them to HTTP answers; the CLI prints their message."""


class DomainError(Exception):
    """A rule of the domain refused the operation; the message is safe to show."""


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class Forbidden(DomainError):
    """The actor may not do this."""


class InvalidInput(DomainError):
    """Input that fails validation; ``errors`` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class AuthenticationFailed(DomainError):
    """Wrong e-mail or password (deliberately not saying which)."""


class AccountLocked(DomainError):
    """Too many failed sign-ins; the account is slowed down for a while."""

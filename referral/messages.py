"""Messages of the domain that the web layer translates.

``referral`` imports no Flask, so it cannot translate; it marks its messages with ``N_`` (so
that ``relais i18n update`` extracts them) and raises :class:`RuleBroken`, which keeps the
English template and its parameters apart. The web layer calls ``gettext(template, **params)``;
the CLI prints ``str(error)``, the English text.
"""

from __future__ import annotations

from typing import Any

from referral.errors import InvalidInput


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark ``message`` for extraction without translating it here."""
    return message


class RuleBroken(InvalidInput):
    """A rule refused the input of one ``field`` (or of none): an :class:`InvalidInput`
    whose field is given by position, as most rules write it."""

    def __init__(self, template: str, field: str | None = None, **params: Any):
        super().__init__(template, None, field=field, **params)

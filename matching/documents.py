"""The inputs of the matcher: an offer's criteria and a candidate's documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CandidateDoc", "OfferCriteria"]


@dataclass(frozen=True)
class OfferCriteria:
    """What an offer asks for. Skills and languages are free text ("Python", "anglais")."""

    title: str
    description: str = ""
    missions: str = ""
    profile: str = ""
    required_skills: tuple[str, ...] = ()
    nice_skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    min_experience_years: float | None = None
    direction: str = ""
    key: Any = None

    def fields(self) -> list[tuple[str, float]]:
        """The offer's texts with the weight each gets in the TF-IDF query.

        The title and the required skills say most about the job, so they weigh more than
        the long free-text fields.
        """
        return [
            (self.title, 3.0),
            (" ; ".join(self.required_skills), 2.0),
            (" ; ".join(self.nice_skills), 1.0),
            (self.missions, 1.0),
            (self.profile, 1.0),
            (self.description, 0.5),
            (self.direction, 0.5),
        ]

    def text(self) -> str:
        """All the offer's text, once each (to fit a model on offers)."""
        return "\n".join(t for t, _ in self.fields() if t)


@dataclass(frozen=True)
class CandidateDoc:
    """A candidate's CV text (already extracted from the file) and their message.

    ``cv_readable`` is False when the CV file could not be read; ``applied_at`` (any
    comparable value, usually a datetime) breaks ties between equal scores.
    """

    key: Any
    cv_text: str
    message: str = ""
    applied_at: Any = None
    cv_readable: bool = True

    def text(self) -> str:
        """CV and message, as compared with the offer."""
        return f"{self.cv_text}\n{self.message}" if self.message else self.cv_text

    def is_empty(self) -> bool:
        """True when there is no CV text to score (unreadable or blank)."""
        return not self.cv_readable or not any(c.isalnum() for c in self.cv_text)

"""Factories for the shortlist tests: candidates with CV files, applications with realistic
scores and explanations (the dict of ``matching.Score.to_dict()``), inserted directly.

Registered for every test by ``pytest_plugins`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from referral.models import (
    Application,
    ApplicationSource,
    Candidate,
    Channel,
    CVFile,
    Offer,
    ShareLink,
    User,
    utcnow,
)

_n = itertools.count(1)

CV_TEXT = (
    "Cheffe de projet numérique depuis 8 ans au conseil départemental.\n"
    "Gestion de projet agile, conduite du changement, marchés publics.\n"
    "Python et SQL pour les tableaux de bord. Anglais courant."
)


def explanation(
    score: float,
    matched: list[str] | None = None,
    missing: list[str] | None = None,
    nice: list[str] | None = None,
    top_terms: list[str] | None = None,
) -> dict[str, Any]:
    """An explanation shaped like ``matching.Score.to_dict()``."""
    matched = matched or []
    missing = missing or []
    return {
        "score": score,
        "components": [
            {"name": "similarity", "value": 0.42, "weight": 0.5, "points": round(score * 0.5, 1)},
            {
                "name": "required_skills",
                "value": len(matched) / max(1, len(matched) + len(missing)),
                "weight": 0.4,
                "points": round(score * 0.4, 1),
            },
            {"name": "nice_skills", "value": 0.0, "weight": 0.1, "points": round(score * 0.1, 1)},
        ],
        "required_matched": [
            {"skill": s, "excerpt": f"… 8 ans de {s} au conseil départemental …"} for s in matched
        ],
        "required_missing": missing,
        "nice_matched": [{"skill": s, "excerpt": f"… {s} …"} for s in (nice or [])],
        "top_terms": top_terms or ["projet", "numérique", "agile"],
        "reason": None,
    }


@pytest.fixture
def make_candidate(session, app) -> Callable[..., Candidate]:
    """A candidate with one CV file (written in the uploads folder when ``file_bytes``)."""

    def make(
        first_name: str | None = None,
        last_name: str | None = None,
        *,
        cv_text: str = CV_TEXT,
        text_status: str = "ok",
        file_bytes: bytes | None = None,
        original_name: str = "CV.pdf",
        mime_type: str = "application/pdf",
        commit: bool = True,
        **fields,
    ) -> Candidate:
        n = next(_n)
        candidate = Candidate(
            email=fields.pop("email", f"candidat{n}@mail.example"),
            first_name=first_name or f"Camille{n}",
            last_name=last_name or f"Martin{n}",
            **fields,
        )
        data = file_bytes if file_bytes is not None else f"%PDF-1.4 cv {n}".encode()
        stored = f"cv{n}-{hashlib.sha256(data).hexdigest()[:16]}.bin"
        candidate.cv_files.append(
            CVFile(
                stored_name=stored,
                original_name=original_name,
                mime_type=mime_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                text=cv_text,
                text_status=text_status,
            )
        )
        if file_bytes is not None:
            folder = app.extensions["relais"].settings.uploads_path
            folder.mkdir(parents=True, exist_ok=True)
            (folder / stored).write_bytes(data)
        session.add(candidate)
        if commit:
            session.commit()
        return candidate

    return make


@pytest.fixture
def make_application(session, make_candidate) -> Callable[..., Application]:
    """An application to ``offer``; ``agent`` makes it a share-link referral credited to them."""
    links: dict[tuple[int, int], ShareLink] = {}

    def make(
        offer: Offer,
        candidate: Candidate | None = None,
        *,
        score: float | None = None,
        matched: list[str] | None = None,
        missing: list[str] | None = None,
        status: str = "new",
        agent: User | None = None,
        created_at=None,
        commit: bool = True,
        **fields,
    ) -> Application:
        candidate = candidate or make_candidate(commit=commit)
        link = None
        if agent is not None:
            link = links.get((offer.id, agent.id))
            if link is None:
                link = links[offer.id, agent.id] = ShareLink(
                    code=f"c{next(_n):08d}",
                    offer=offer,
                    agent=agent,
                    channel=Channel.LINKEDIN.value,
                )
                session.add(link)
        application = Application(
            candidate=candidate,
            offer=offer,
            cv_file=candidate.cv_files[-1] if candidate.cv_files else None,
            source=fields.pop(
                "source",
                ApplicationSource.SHARE_LINK.value if agent else ApplicationSource.CAREERS.value,
            ),
            share_link=link,
            credited_agent=agent,
            attribution_reason=fields.pop(
                "attribution_reason",
                f"Last share link visited: {agent.full_name}'s LinkedIn link" if agent else "",
            ),
            status=status,
            score=score,
            score_explanation=(
                fields.pop("score_explanation", None)
                or (explanation(score, matched, missing) if score is not None else None)
            ),
            created_at=created_at or utcnow() - timedelta(minutes=next(_n)),
            **fields,
        )
        session.add(application)
        if commit:
            session.commit()
        return application

    return make

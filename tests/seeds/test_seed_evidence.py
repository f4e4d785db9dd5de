"""Evidence is true on every seeded CV: each skill a CV is credited with by its words is
written in the excerpt shown to the recruiter, as one phrase of the CV.

The check is written apart from the matcher (its own word forms, no stemmer): a label's words
(the offer's label, or the French, English or alias label of the vocabulary entry it names)
must each have a form among the matched words — the same word up to accents, case, a plural
or feminine ending, two swapped letters or an s/z spelling — the matched words must lie in the
excerpt, and nothing between them may end a line, a list item or a section. On the matcher
of the previous release 45 hits of the seeded CVs crossed lines or sections and about 150
more rested on another word ("CARPENTIER" for "menuiserie"); see ``test_the_check_catches``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import select

from matching.normalize import fold
from matching.skills import SkillHit, find_skills, labels_of, load_vocabulary
from referral.applications.cvtext import extract
from referral.models import Application
from seeds import load

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
_WORD = re.compile(r"[^\W_]+(?:[+#]+)?")
_LINK = frozenset(
    [
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "par",
        "pour",
        "sur",
        "un",
        "une",
        "and",
        "for",
        "in",
        "of",
        "on",
        "the",
        "to",
        "with",
    ]
)
# Between two words of one phrase: no empty line, no new line starting other than in lower
# case (a wrapped sentence), no bullet, no sentence end, no spaced dash.
_NOT_ONE_PHRASE = re.compile(r"\n\s*\n|\n\s*[^\s\w]|\n\s*[A-Z0-9À-Þ]|[•·;:()|]|[.!?]\s|\s[-–—]\s")


def _cv_texts() -> dict[str, str]:
    people = json.loads((SEEDS / "candidates.json").read_text(encoding="utf-8"))
    return {p["cv"]: extract((SEEDS / "cvs" / p["cv"]).read_bytes(), 5 << 20).text for p in people}


@cache
def _seeded() -> tuple[dict[str, str], list[str]]:
    offers = json.loads((SEEDS / "offers.json").read_text(encoding="utf-8"))
    vocabulary = load_vocabulary()
    skills = labels_of(
        [s for o in offers for s in (*o["required_skills"], *o.get("nice_skills", ()))]
        + [skill.fr for skill in vocabulary.skills]
    )
    return _cv_texts(), skills


_FEMININE = (("euse", "eur"), ("rice", "eur"), ("ere", "er"), ("ive", "if"), ("enne", "en"))


def _base(word: str) -> str:
    for ending in ("es", "s", "x"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    for feminine, masculine in _FEMININE:
        if word.endswith(feminine) and len(word) > 5:
            return word[: -len(feminine)] + masculine
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _same_word(label_word: str, cv_word: str) -> bool:
    if label_word == cv_word or _base(label_word) == _base(cv_word):
        return True
    if len(label_word) != len(cv_word) or len(label_word) < 5:
        return False
    differ = [i for i, (a, b) in enumerate(zip(label_word, cv_word, strict=True)) if a != b]
    if len(differ) == 1:
        return {label_word[differ[0]], cv_word[differ[0]]} == {"s", "z"}
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and label_word[differ[0]] == cv_word[differ[1]]
        and label_word[differ[1]] == cv_word[differ[0]]
    )


def holds_the_skill(hit: SkillHit) -> str:
    """ "" when ``hit`` is true evidence, else what is wrong with it."""
    vocabulary = load_vocabulary()
    entry = vocabulary.resolve(hit.skill)
    labels = [hit.skill, *(entry.labels if entry else ())]
    if entry:
        labels.append(entry.id.replace("-", " "))
    if " ".join(hit.matched.split()) not in hit.excerpt:
        return "the matched words are not in the excerpt"
    if _NOT_ONE_PHRASE.search(hit.matched):
        return "the matched words are not one phrase of the CV"
    written = [w for w in _WORD.findall(fold(hit.matched))]
    for label in labels:
        wanted = [w for w in _WORD.findall(fold(label)) if w not in _LINK] or _WORD.findall(
            fold(label)
        )
        free = list(written)
        for word in wanted:
            match = next((w for w in free if _same_word(word, w)), None)
            if match is None:
                break
            free.remove(match)  # one written word for one word of the label
        else:
            return ""
    return "the excerpt holds no form of the skill"


def false_evidence(texts: dict[str, str], skills: list[str]) -> list[tuple[str, str, str, str]]:
    vocabulary = load_vocabulary()
    wrong = []
    for name, text in texts.items():
        for hit in find_skills(text, skills, vocabulary):
            if hit.found and (why := holds_the_skill(hit)):
                wrong.append((name, hit.skill, hit.matched, why))
    return wrong


def test_every_skill_found_in_a_seeded_cv_is_written_in_its_excerpt():
    texts, skills = _seeded()
    vocabulary = load_vocabulary()
    found = sum(h.found for t in texts.values() for h in find_skills(t, skills, vocabulary))
    # 483 hits, none false (the previous matcher: 689 hits, 205 of them false).
    assert len(texts) == 40 and len(skills) > 200 and found > 400
    assert false_evidence(texts, skills) == []


@pytest.mark.parametrize(
    ("cv", "skill"),
    [
        # What the previous matcher credited (seeded CVs 16, 38, 39, 06).
        ("LLM European Law, KU Leuven\nSkills\npublic procurement", "droit public"),
        ("Enzo CARPENTIER\nCommunication officer", "menuiserie"),
        ("Rédaction de communiqués", "React"),
        ("- gestion de projet\n- cybersécurité\n- formation", "gestion de la formation"),
    ],
)
def test_the_check_catches(cv, skill):
    """The check fails on what the previous matcher returned for these CVs (a test that
    could not fail would prove nothing)."""
    words = cv.split()
    matched = cv[cv.find(words[1]) :] if skill != "React" else "Rédaction"
    hit = SkillHit(skill, True, " ".join(cv.split()), 0.9, None, matched)
    assert holds_the_skill(hit)


def test_every_seeded_explanation_shows_true_evidence(app, session):
    """The same check on what the recruiters of the demo read: the explanations stored with
    the seeded applications (scored by ``relais seed`` through the application's index)."""
    state = app.extensions["relais"]
    load(state.sessions, state.settings, now=datetime(2026, 11, 20, 10, 30, tzinfo=UTC))
    session.expire_all()
    applications = session.scalars(select(Application)).all()
    shown, wrong = 0, []
    for application in applications:
        explanation = application.score_explanation or {}
        for item in (
            *explanation.get("required_matched", ()),
            *explanation.get("nice_matched", ()),
        ):
            shown += 1
            hit = SkillHit(item["skill"], True, item["excerpt"], 1.0, None, item["matched"])
            if why := holds_the_skill(hit):
                wrong.append((application.id, item, why))
    assert len(applications) >= 40 and shown >= 40
    assert wrong == []

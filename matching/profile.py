"""What can be read from a CV beyond its words: past job titles, years of experience, languages.

Heuristics, written to fail towards "not found" rather than inventing: a component fed by
something this module cannot read counts 0 for the candidate, never as agreement.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from matching.normalize import STOP_WORDS, fold

__all__ = [
    "LANGUAGES",
    "CvProfile",
    "ProfileFacts",
    "detect_language",
    "experience_years",
    "job_titles",
    "languages",
    "read_profile",
    "read_profile_facts",
]

# Language id -> names in French and English (folded), as offers and CVs write them.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "fr": ("francais", "french", "langue francaise"),
    "en": ("anglais", "english"),
    "de": ("allemand", "german", "deutsch"),
    "es": ("espagnol", "spanish", "castillan"),
    "it": ("italien", "italian"),
    "pt": ("portugais", "portuguese"),
    "nl": ("neerlandais", "dutch", "flamand"),
    "ar": ("arabe", "arabic"),
    "zh": ("chinois", "chinese", "mandarin"),
    "ja": ("japonais", "japanese"),
    "ru": ("russe", "russian"),
    "pl": ("polonais", "polish"),
    "ro": ("roumain", "romanian"),
    "tr": ("turc", "turkish"),
    "br": ("breton",),
    "oc": ("occitan",),
    "eu": ("basque",),
    "ca": ("catalan",),
    "co": ("corse", "corsican"),
    "hi": ("hindi",),
    "sign": ("langue des signes", "lsf", "sign language"),
}
_LANGUAGE_OF = {name: lang for lang, names in LANGUAGES.items() for name in names}
_LANGUAGE_RE = re.compile(
    r"\b(" + "|".join(re.escape(n) for n in sorted(_LANGUAGE_OF, key=len, reverse=True)) + r")\b"
)

_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
_MONTH = (
    r"(?:\d{1,2}\s*[/.-]\s*|\b(?:janv|janvier|fevr|fevrier|mars|avr|avril|mai|juin|juil|juillet|aout|"
    r"sept|septembre|oct|octobre|nov|novembre|dec|decembre|jan|january|feb|february|mar|march|apr|"
    r"april|may|jun|june|jul|july|aug|august|sep|september|october|november|december)\.?\s+)?"
)
_NOW = r"(?:present|aujourd'?hui|ce jour|now|current|currently|today|date|en cours|actuel|actuellement|ongoing|till date|to date)"
# Starts on the year itself (a month before it changes nothing), so the regex engine can
# skip every position that is not a digit.
_RANGE = re.compile(
    rf"\b({_YEAR})\s*(?:-|a|au|to|until|jusqu'?a|jusqu'?en|/)\s*(?:{_MONTH}({_YEAR})|({_NOW}))\b"
)
_SINCE = re.compile(rf"\b(?:depuis|since|from|des)\s+(?:[a-z]{{3,9}}\.?\s+)?({_YEAR})\b")
_STATED = re.compile(
    r"\b(\d{1,2})(?:[.,]\d)?\s*\+?\s*(?:ans|annees|years?|yrs)\b(?:\s+(?:d'|de |of |in ))?"
    r"(?:\s*(?:experience|exp\b|professional|professionnelle|work))"
)
_HEADER = re.compile(
    r"^\W*(?:experiences?(?: professionnelles?)?|parcours(?: professionnel)?|professional experience|"
    r"work experience|work history|employment(?: history)?|career|emplois? occupes?|company details)\W*$"
)
_END_HEADER = re.compile(
    r"^\W*(?:formations?|education(?: details)?|diplomes?|competences|skills?(?: details)?|"
    r"langues?|languages?|centres? d'interet|interests|hobbies|loisirs|references|projects?|projets?)\W*$"
)


_LABELLED = re.compile(
    r"^\W*(?:formations?|education|diplomes?|competences|skills?|langues?|languages?|e-?mail|tel|"
    r"telephone|phone|adresse|address|nom|name|permis|hobbies|loisirs)\b\s*[:\-]"
)


@dataclass(frozen=True)
class CvProfile:
    """What :func:`read_profile` could read in a CV; ``None``/empty when it could not."""

    titles: tuple[str, ...]
    years: float | None
    languages: frozenset[str]


def _this_year() -> int:
    return _dt.date.today().year


def experience_years(text: str, reference_year: int | None = None) -> float | None:
    """Years of experience read from a CV, or ``None`` when nothing can be read.

    The union of the date ranges ("2015 – 2020", "2018 - présent", "depuis 2018",
    "since 2018") is measured in whole years; a stated figure ("5 ans d'expérience",
    "5+ years of experience") counts when it is larger. Open ranges end at
    ``reference_year`` (this year by default).
    """
    return _experience_years(fold(text), reference_year)


def _experience_years(folded: str, reference_year: int | None) -> float | None:
    return _years_from(_experience_facts(folded), reference_year)


# What the dates of a CV say, before a reference year is chosen: closed ranges (start, end),
# open ranges and "since" starts (start, None), and stated figures ("5 years of experience").
_Facts = tuple[tuple[tuple[int, int | None], ...], tuple[int, ...]]


def _experience_facts(folded: str) -> _Facts:
    spans: list[tuple[int, int | None]] = []
    for match in _RANGE.finditer(folded):
        spans.append((int(match.group(1)), int(match.group(2)) if match.group(2) else None))
    for match in _SINCE.finditer(folded):
        spans.append((-int(match.group(1)), None))  # negative: a "since" start
    stated = tuple(int(m.group(1)) for m in _STATED.finditer(folded))
    return tuple(spans), stated


def _years_from(facts: _Facts, reference_year: int | None) -> float | None:
    now = reference_year or _this_year()
    found, stated_all = facts
    spans: list[tuple[int, int]] = []
    for start, end in found:
        if start >= 0:
            end = end if end is not None else now
            if start <= end <= now + 1 and end - start <= 50:
                spans.append((start, max(end, start)))
    for start, _ in found:
        if start < 0 and -start <= now:
            spans.append((-start, now))
    years = 0
    last_end = None
    for start, end in sorted(spans):
        if last_end is not None and start < last_end:
            start = last_end
        if end > start:
            years += end - start
        last_end = end if last_end is None else max(last_end, end)
    stated = [value for value in stated_all if value <= 50]
    best = max([years] + stated) if (spans or stated) else None
    return None if best is None else float(best)


def languages(text: str) -> frozenset[str]:
    """Ids of the languages named in ``text`` (see :data:`LANGUAGES`)."""
    return _languages(fold(text))


def _languages(folded: str) -> frozenset[str]:
    return frozenset(_LANGUAGE_OF[name] for name in _LANGUAGE_RE.findall(folded))


_FR_MARKERS = frozenset(
    ["le", "la", "les", "des", "du", "et", "est", "une", "pour", "dans", "avec", "sur", "au", "aux"]
)
_EN_MARKERS = frozenset(
    ["the", "and", "of", "to", "in", "for", "with", "on", "is", "as", "at", "by", "from"]
)


def detect_language(text: str) -> str | None:
    """``"fr"`` or ``"en"`` when the text is clearly written in one of them, else ``None``."""
    return _detect_language(fold(text[:5000]))


def _detect_language(folded: str) -> str | None:
    words = re.findall(r"[a-z]+", folded[:5000])
    fr = sum(w in _FR_MARKERS for w in words)
    en = sum(w in _EN_MARKERS for w in words)
    if fr + en < 5:
        return None
    if fr >= 2 * en:
        return "fr"
    if en >= 2 * fr:
        return "en"
    return None


_DATE_LIKE = re.compile(rf"{_YEAR}|{_NOW}|\b(?:depuis|since)\b")
_CLEAN = re.compile(
    rf"\(?{_MONTH}{_YEAR}\)?|\b{_NOW}\b|\b(?:depuis|since|from|de|to|au|a)\b\s*(?=[-–]|$)|[|•*:]"
)


def job_titles(text: str, limit: int = 8) -> tuple[str, ...]:
    """Past job titles, heuristically: short lines that carry a date or sit next to one, and
    the short lines under an "Expérience"/"Experience" header. Original wording, deduplicated.
    """
    return _job_titles(text, fold(text), limit)


def _job_titles(text: str, folded_text: str, limit: int) -> tuple[str, ...]:
    lines = [line.strip() for line in text.splitlines()]
    folded = [line.strip() for line in folded_text.splitlines()]
    if len(folded) != len(lines):  # folding changed the line structure: fold line by line
        folded = [fold(line) for line in lines]
    chosen: list[int] = []
    in_experience = False
    in_other_section = False
    skip = {
        i
        for i, line in enumerate(folded)
        if _HEADER.match(line) or _END_HEADER.match(line) or _LABELLED.match(line)
    }
    for i, line in enumerate(folded):
        if _HEADER.match(line):
            in_experience, in_other_section = True, False
            continue
        if _END_HEADER.match(line):
            in_experience, in_other_section = False, True
            continue
        if in_other_section:
            continue  # dates under "Formation" or "Education" are diplomas, not jobs
        if _DATE_LIKE.search(line):
            chosen.extend(j for j in (i, i - 1, i + 1) if 0 <= j < len(lines) and j not in skip)
        elif in_experience and i not in skip:
            chosen.append(i)
    titles: list[str] = []
    seen = set()
    for i in dict.fromkeys(chosen):  # each line once, in order
        candidate = _title_from(lines[i], folded[i])
        key = candidate.casefold()
        if candidate and key not in seen:
            seen.add(key)
            titles.append(candidate)
        if len(titles) >= limit:
            break
    return tuple(titles)


_THREE_LETTERS = re.compile(r"[^\W\d_]{3}")


def _folded_with_origins(line: str, folded: str) -> tuple[str, range | list[int]]:
    """The folded line and, for each of its characters (and its end), the offset in ``line``
    of the character it comes from. ``folded`` (the line as folded with the whole text) is
    kept when it has the line's length, as it mostly has; otherwise the line is folded
    character by character ("œ" folds to two letters; "•" to a space, which strips)."""
    if len(folded) == len(line):
        return folded, range(len(line) + 1)
    pieces, origins = [], []
    for i, char in enumerate(line):
        piece = fold(char)
        pieces.append(piece)
        origins.extend([i] * len(piece))
    origins.append(len(line))
    return "".join(pieces), origins


def _title_from(line: str, folded: str) -> str:
    """The job title a CV line carries once dates are removed, in the CV's own spelling
    (accents, ligatures and capitals kept); "" when the line does not look like a title (a
    sentence, a long line, no words)."""
    if line.endswith(".") or len(line) > 120:
        return ""
    folded_line, origins = _folded_with_origins(line, folded)
    pieces, last = [], 0
    for match in _CLEAN.finditer(folded_line):
        pieces.append(line[origins[last] : origins[match.start()]])
        last = match.end()
    pieces.append(line[origins[last] :])
    cleaned = " ".join(pieces)
    cleaned = re.sub(r"[-–—,;]+\s*$|^\s*[-–—,;]+", " ", cleaned)
    cleaned = re.sub(r"\s*\([^)]*$", "", cleaned)  # "(depuis" once "mars 2021)" is cut
    cleaned = " ".join(cleaned.split()).strip(" -–—,;.()•·▪◦‣*")
    words = fold(cleaned).split()
    content = [w for w in words if w not in STOP_WORDS]
    if not 1 <= len(content) <= 8 or len(cleaned) > 80:
        return ""
    if not _THREE_LETTERS.search(cleaned):
        return ""
    return cleaned


class ProfileFacts(NamedTuple):
    """What :func:`read_profile` reads in a CV before a reference year is chosen: read once
    per CV (when it is indexed), turned into a :class:`CvProfile` for any year cheaply.

    Tuples, strings and numbers only, so that the index can keep it as a plain tuple, which
    the garbage collector stops tracking (it keeps tracking a named tuple).
    """

    titles: tuple[str, ...]
    languages: tuple[str, ...]  # sorted language ids
    experience: _Facts

    def profile(self, reference_year: int | None = None) -> CvProfile:
        return CvProfile(
            self.titles, _years_from(self.experience, reference_year), frozenset(self.languages)
        )


def read_profile_facts(texts: Sequence[str]) -> ProfileFacts:
    """The reference-year-free part of :func:`read_profile` (see :class:`ProfileFacts`)."""
    text = "\n".join(t for t in texts if t)
    folded = fold(text)
    langs = set(_languages(folded))
    written = _detect_language(folded)
    if written:
        langs.add(written)
    cv = texts[0] if texts else ""
    titles = _job_titles(cv, folded if cv == text else fold(cv), 8)
    return ProfileFacts(titles, tuple(sorted(langs)), _experience_facts(folded))


def read_profile(texts: Sequence[str], reference_year: int | None = None) -> CvProfile:
    """Titles, years and languages of a candidate from their CV (and message).

    The CV's own language counts as a language the candidate has (a CV written in French).
    """
    return read_profile_facts(texts).profile(reference_year)

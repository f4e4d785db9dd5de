"""Skills vocabulary and fuzzy skill extraction from CV text.

The vocabulary is a JSON list of ``{"id", "fr", "en", "aliases"}`` entries
(``seeds/skills.json`` by default). An offer's skill is free text: :meth:`Vocabulary.resolve`
turns it into a vocabulary entry when it names one (by id, French or English label or alias),
so that "JS" in an offer finds "JavaScript" in a CV; otherwise its raw label is matched.

:func:`find_skills` looks for skills in a CV. Exact hits first: the CV's words are normalised
(folded, link words such as "de"/"of" dropped, feminine forms and plurals folded), and every
window of one to five words is looked up, order-free, in a table of the labels. For skills
still missing, each label word is compared with the CV's distinct words with rapidfuzz (one
``cdist`` call per CV), so a typo or a plural still matches; the words must then sit close
together. Every hit returns an excerpt of the original CV text around it.

Evidence must be true: the words of a hit lie within one passage of the CV (one line, one
sentence, one list item: :meth:`CvWords.together`). A label's words picked across lines or
sections ("Law, KU Leuven / Skills / public" is not "public law") are not a hit.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from matching.normalize import fold, fold_gender, stem

__all__ = [
    "DEFAULT_SKILLS_PATH",
    "CvWords",
    "Skill",
    "SkillHit",
    "Vocabulary",
    "find_skills",
    "find_skills_many",
    "load_vocabulary",
    "skill_key",
]

DEFAULT_SKILLS_PATH = Path(__file__).resolve().parent.parent / "seeds" / "skills.json"

# Words that link the words of a skill label; dropping them lets "gestion de projet" meet
# "gestion des projets" and "management of projects".
_LINK_WORDS = frozenset(
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
_WORD = re.compile(r"(?<!\w)\.net\b|[^\W_]+(?:[+#]+|\.js\b|\.net\b)?", re.UNICODE | re.IGNORECASE)
# The same words with the text between them: one pass gives the words and where they are.
_WORDS_AND_GAPS = re.compile(f"({_WORD.pattern})", _WORD.flags)
_SPECIAL = {"c++": "cplusplus", "c#": "csharp", "f#": "fsharp", "node.js": "nodejs"}
_MAX_WINDOW = 5
_FUZZY_CUTOFF = 80.0  # rapidfuzz ratio for one word (a transposition in six letters scores 83)
_MIN_FUZZY_LEN = 5  # shorter words ("java", "sql") must match exactly
_EXCERPT_CHARS = 60
# What ends a passage between two words: a sentence's end, a semicolon or colon, a bullet, a
# bracket, a tab (a table cell), a dash between spaces ("Analyste — INSEE", "- SQL"), an empty
# line. A comma does not ("chauffage, ventilation et climatisation" is one label) and neither
# does a slash ("CI/CD", "HTML / CSS").
_BREAK = re.compile(r"[.!?…](?=\s|$)|[;:•·▪◦‣∙►|()\[\]{}\t]|\s[-–—*]\s|\n[ \t]*\n")
# A line break inside a sentence: PDFs wrap long lines, and the next line then goes on in
# lower case ("motivée par le service\npublic régional"). A short line followed by a
# lower-case one is a list item ("data analysis\nweb development"), not a wrapped line.
_WRAPPED_LINE = 50


def _special(word: str) -> str:
    word = _SPECIAL.get(word, word)
    if word.endswith(".js"):
        word = word[:-3] + "js"
    if word.startswith(".net") or word.endswith(".net"):
        word = "dotnet"
    return word


@functools.lru_cache(maxsize=300_000)
def _word_key(word: str) -> str:
    """Normalised form of one folded word: special names, feminine forms, plurals."""
    return stem(fold_gender(_special(word)), "fr")


_PLURALS = (("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("ies", "y"), ("s", ""))


@functools.lru_cache(maxsize=300_000)
def _form(word: str) -> str:
    """One folded word up to its inflection (masculine, singular): what may change between a
    skill's label and the words that show it in a CV. The stemmer behind :func:`_word_key` goes
    further ("animation" and "animateur", "Occitanie" and "occitan" share a stem), which finds
    candidates quickly; a hit is kept only when its words are forms of the label's."""
    word = fold_gender(_special(word))
    if len(word) > 4:
        if word.endswith("x"):
            return word[:-1]
        for ending, replacement in _PLURALS:
            if word.endswith(ending):
                return word[: len(word) - len(ending)] + replacement
    return word


def _written(label: str, matched: str) -> bool:
    """True when each content word of ``label`` has a form (:func:`_form`, or two swapped
    letters) among the words of ``matched``, one word of the CV for one word of the label."""
    have = [_form(w) for w in _WORD.findall(fold(matched))]
    wanted = [_form(w) for w in _WORD.findall(fold(label))]
    content = [w for w in wanted if w not in _LINK_WORDS] or wanted
    for word in content:
        match = next(
            (h for h in have if h == word or (len(word) >= _MIN_FUZZY_LEN and _typo_of(word, h))),
            None,
        )
        if match is None:
            return False
        have.remove(match)
    return True


@functools.lru_cache(maxsize=300_000)
def _raw_key(word: str) -> str:
    """Normalised form of one word as written in a CV."""
    return _word_key(fold(word))


def _label_words(label: str) -> list[str]:
    words = [_word_key(w) for w in _WORD.findall(fold(label))]
    content = [w for w in words if w not in _LINK_WORDS]
    return content or words


def skill_key(label: str) -> str:
    """The order-free key of a label: its normalised content words, sorted and joined."""
    return " ".join(sorted(_label_words(label)))


@dataclass(frozen=True)
class Skill:
    """One entry of the skills vocabulary."""

    id: str
    fr: str
    en: str
    aliases: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """French label, English label, then aliases."""
        return (self.fr, self.en, *self.aliases)

    def label(self, locale: str = "fr") -> str:
        """The display label in ``locale`` ("fr" or "en")."""
        return self.en if locale == "en" else self.fr

    def to_dict(self) -> dict:
        return {"id": self.id, "fr": self.fr, "en": self.en, "aliases": list(self.aliases)}


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The skills an organisation knows, with a lookup table from any label to its skill."""

    skills: tuple[Skill, ...]
    _by_key: dict[str, Skill] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        table: dict[str, Skill] = {}
        for skill in self.skills:  # ids and main labels win over aliases
            for label in (skill.id.replace("-", " "), skill.fr, skill.en):
                table.setdefault(skill_key(label), skill)
        for skill in self.skills:
            for alias in skill.aliases:
                table.setdefault(skill_key(alias), skill)
        table.pop("", None)
        object.__setattr__(self, "_by_key", table)

    def __len__(self) -> int:
        return len(self.skills)

    def resolve(self, label: str) -> Skill | None:
        """The vocabulary entry that ``label`` names (id, label or alias), or ``None``."""
        for skill in self.skills:
            if skill.id == label:
                return skill
        return self._by_key.get(skill_key(label))

    def suggest(self, prefix: str, limit: int = 10) -> list[Skill]:
        """Skills whose label or alias best matches ``prefix`` (for tag suggestions)."""
        if not prefix.strip():
            return []
        choices = {i: fold(" | ".join(s.labels)) for i, s in enumerate(self.skills)}
        found = process.extract(
            fold(prefix), choices, scorer=fuzz.partial_ratio, limit=limit, score_cutoff=70
        )
        return [self.skills[i] for _, _, i in found]


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Load a skills vocabulary from ``path`` (default ``seeds/skills.json``).

    Raises ``ValueError`` when an entry lacks ``id``, ``fr`` or ``en``.
    """
    return _load_cached(str(Path(path) if path else DEFAULT_SKILLS_PATH))


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Vocabulary:
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    skills = []
    for entry in entries:
        if not all(entry.get(k) for k in ("id", "fr", "en")):
            raise ValueError(f"skills entry without id, fr or en: {entry!r}")
        skills.append(Skill(entry["id"], entry["fr"], entry["en"], tuple(entry.get("aliases", ()))))
    return Vocabulary(tuple(skills))


@dataclass(frozen=True)
class SkillHit:
    """Whether one skill of an offer was found in a CV, and where.

    ``score`` is 1.0 for an exact hit, the fuzzy similarity (0–1) otherwise, 0.0 when missing;
    ``excerpt`` is a short window of the original CV text around the match.
    """

    skill: str
    found: bool
    excerpt: str = ""
    score: float = 0.0
    skill_id: str | None = None
    matched: str = ""

    def to_dict(self) -> dict:
        return {
            "skill": self.skill,
            "found": self.found,
            "excerpt": self.excerpt,
            "score": self.score,
            "skill_id": self.skill_id,
            "matched": self.matched,
        }

    @classmethod
    def from_dict(cls, data: dict) -> SkillHit:
        return cls(
            data["skill"],
            bool(data["found"]),
            data.get("excerpt", ""),
            float(data.get("score", 0.0)),
            data.get("skill_id"),
            data.get("matched", ""),
        )


class CvWords:
    """The words of one CV, normalised once, with their place in the original text."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Gaps and words alternate, so word i ends where the text up to part 2i + 1 ends.
        parts = _WORDS_AND_GAPS.split(text)
        raw = parts[1::2]
        every = list(map(_raw_key, raw))
        keep = [i for i, key in enumerate(every) if key not in _LINK_WORDS]
        self._raw = raw
        self._keep = keep  # index in ``raw`` of each word of ``keys``
        self._ends = list(accumulate(map(len, parts)))
        self.keys = keys = [every[i] for i in keep]
        positions: dict[str, list[int]] = {}
        for p, key in enumerate(keys):
            if key in positions:
                positions[key].append(p)
            else:
                positions[key] = [p]
        self.positions = positions
        self.distinct = sorted(positions)

    @property
    def spans(self) -> list[tuple[int, int]]:
        """``(start, end)`` of each word of :attr:`keys` in the text."""
        return [self.span(p) for p in range(len(self.keys))]

    def span(self, p: int) -> tuple[int, int]:
        """``(start, end)`` of word ``p`` of :attr:`keys` in the text."""
        part = 2 * self._keep[p] + 1
        return self._ends[part - 1], self._ends[part]

    def together(self, first: int, last: int) -> bool:
        """True when words ``first`` to ``last`` lie within one passage of the CV: nothing
        between them ends a line (but a wrapped one), a sentence or a list item."""
        return in_one_passage(self.text, self.span(first)[1], self.span(last)[0])

    def matched(self, first: int, last: int) -> str:
        """The original text of words ``first`` to ``last`` (inclusive)."""
        return self.text[self.span(first)[0] : self.span(last)[1]]

    def form(self, key: str) -> str | None:
        """The first spelling in the CV (lower-cased) of the normalised word ``key``."""
        places = self.positions.get(key)
        return self._raw[self._keep[places[0]]].lower() if places else None

    def first_exact(
        self, keys: Sequence[str], key_set: frozenset[str] = frozenset()
    ) -> tuple[int, int] | None:
        """:meth:`exact` of the first of ``keys`` that occurs (``key_set``: the same keys as a
        set, for subclasses that can rule them all out at once)."""
        for key in keys:
            where = self.exact(key)
            if where is not None:
                return where
        return None

    def exact(self, key: str) -> tuple[int, int] | None:
        """Word range ``(first, count)`` where the order-free ``key`` occurs, or ``None``.

        ``key`` is a :func:`skill_key`: the label's words, sorted, joined by spaces; they must
        be consecutive in the CV (link words aside), in any order.
        """
        if " " not in key:  # one word: its first place
            places = self.positions.get(key)
            return (places[0], 1) if places else None
        wanted = key.split(" ")
        n = len(wanted)
        if n > _MAX_WINDOW:
            return None
        anchors = [self.positions.get(w) for w in wanted]
        if not all(anchors):
            return None
        rarest = min(anchors, key=len)
        for p in rarest:
            for start in range(max(0, p - n + 1), p + 1):
                if sorted(self.keys[start : start + n]) == wanted and self.together(
                    start, start + n - 1
                ):
                    return start, n
        return None

    def excerpt(self, first: int, count: int, chars: int = _EXCERPT_CHARS) -> str:
        """The original text around words ``first`` to ``first + count``, on one line."""
        start = self.span(first)[0]
        end = self.span(first + count - 1)[1]
        left = max(0, start - chars)
        right = min(len(self.text), end + chars)
        # Cut on word boundaries so the excerpt does not start or end mid-word.
        if left > 0:
            space = self.text.find(" ", left, start)
            left = space + 1 if space != -1 else left
        if right < len(self.text):
            space = self.text.rfind(" ", end, right)
            right = space if space != -1 else right
        snippet = " ".join(self.text[left:right].split())
        return ("…" if left > 0 else "") + snippet + ("…" if right < len(self.text) else "")


def in_one_passage(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` (what lies between two words) does not end a passage: no
    sentence end, bullet, bracket, colon or semicolon, spaced dash, empty line, and no line
    break but the wrapping of a long line (see :data:`_BREAK`)."""
    gap = text[start:end]
    if _BREAK.search(gap):
        return False
    at = gap.find("\n")
    while at != -1:
        cut = start + at
        line = text[text.rfind("\n", 0, cut) + 1 : cut].strip()
        following = text[cut + 1 : cut + 40].lstrip(" \t")
        if len(line) < _WRAPPED_LINE or not following[:1].islower():
            return False
        at = gap.find("\n", at + 1)
    return True


@dataclass(frozen=True)
class _Target:
    name: str
    skill_id: str | None
    labels: tuple[tuple[str, ...], ...]  # each label as its normalised words
    keys: tuple[str, ...] = ()  # each label's :func:`skill_key`
    fuzzy: bool = False  # a word of a label is long enough to be matched fuzzily
    # Each label's short words (matched exactly) and long words (matched fuzzily).
    parts: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()
    key_set: frozenset[str] = frozenset()
    raw: tuple[str, ...] = ()  # each label as written

    def written(self, matched: str) -> bool:
        """True when ``matched`` (CV words) holds a form of one of the labels."""
        return any(_written(label, matched) for label in self.raw)


@functools.lru_cache(maxsize=256)
def _targets(skills: tuple[str, ...], vocabulary: Vocabulary | None) -> list[_Target]:
    targets = []
    for name in skills:
        skill = vocabulary.resolve(name) if vocabulary is not None else None
        labels = [name] + (list(skill.labels) if skill else [])
        seen, words = set(), []
        for label in labels:
            w = tuple(_label_words(label))
            key = " ".join(sorted(w))
            if w and key not in seen:
                seen.add(key)
                words.append(w)
        # Every label as written (two labels can share a key: "administration système" and
        # "system administration"); the words of a hit are checked against them.
        raw = list(dict.fromkeys(labels + ([skill.id.replace("-", " ")] if skill else [])))
        targets.append(
            _Target(
                name,
                skill.id if skill else None,
                tuple(words),
                tuple(" ".join(sorted(w)) for w in words),
                any(len(word) >= _MIN_FUZZY_LEN for w in words for word in w),
                tuple(
                    (
                        frozenset(word for word in w if len(word) < _MIN_FUZZY_LEN),
                        frozenset(word for word in w if len(word) >= _MIN_FUZZY_LEN),
                    )
                    for w in words
                ),
                frozenset(" ".join(sorted(w)) for w in words),
                tuple(raw),
            )
        )
    return targets


def find_skills(
    cv: str | CvWords,
    skills: Sequence[str],
    vocabulary: Vocabulary | None = None,
) -> list[SkillHit]:
    """One :class:`SkillHit` per label of ``skills``, in order, found or not, in the CV.

    A label that names a vocabulary entry also matches that entry's other labels and aliases
    (French and English). Exact hits (any word order, plurals and feminine forms folded) score
    1.0; otherwise every word of a label must have a close word (rapidfuzz ratio >= 80,
    exact for words under five letters) within a few words of the others.
    """
    return find_skills_many([cv], skills, vocabulary)[0]


def find_skills_many(
    cvs: Sequence[str | CvWords],
    skills: Sequence[str],
    vocabulary: Vocabulary | None = None,
) -> list[list[SkillHit]]:
    """:func:`find_skills` for several CVs at once (the same hits): the fuzzy comparison of the
    label words with the CVs' words is one ``cdist`` call for all of them."""
    all_words = [cv if isinstance(cv, CvWords) else CvWords(cv) for cv in cvs]
    targets = _targets(tuple(skills), vocabulary)
    results: list[list[SkillHit | None]] = []
    waiting: list[tuple[CvWords, list[int], list[SkillHit | None]]] = []
    for words in all_words:
        hits: list[SkillHit | None] = [None] * len(targets)
        pending = []
        for t, target in enumerate(targets):
            where = words.first_exact(target.keys, target.key_set)
            if where is not None and not target.written(words.matched(where[0], sum(where) - 1)):
                where = _first_written(words, target)
            if where is not None:
                hits[t] = SkillHit(
                    target.name,
                    True,
                    words.excerpt(*where),
                    1.0,
                    target.skill_id,
                    words.matched(where[0], where[0] + where[1] - 1),
                )
            else:
                pending.append(t)
        if pending and words.distinct:
            waiting.append((words, pending, hits))
        results.append(hits)
    if waiting:
        _fuzzy(targets, waiting)
    # A hit is immutable: every CV that lacks a skill shares one "not found".
    missing = [SkillHit(target.name, False, "", 0.0, target.skill_id) for target in targets]
    return [[h if h is not None else missing[i] for i, h in enumerate(hits)] for hits in results]


def _first_written(words: CvWords, target: _Target) -> tuple[int, int] | None:
    """The first exact window of one of ``target``'s labels whose words are forms of a label
    (the stems of a window can agree where the words do not: "Animation" is no "animateur")."""
    for key in target.keys:
        where = words.exact(key)
        if where is not None and target.written(words.matched(where[0], sum(where) - 1)):
            return where
    return None


def _fuzzy(
    targets: list[_Target], waiting: list[tuple[CvWords, list[int], list[SkillHit | None]]]
) -> None:
    pending = set().union(*(pending for _, pending, _ in waiting))
    label_words = sorted(set().union(*(long for t in pending for _, long in targets[t].parts)))
    if not label_words:
        return
    # Each distinct word of any CV once: the scores do not depend on the CV.
    distinct = sorted(set().union(*(words.distinct for words, _, _ in waiting)))
    scores = process.cdist(
        label_words, distinct, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, dtype=np.uint8
    )
    # For each word of the CVs, the label words it is close to: a CV looks up its own words.
    close_to: dict[str, list[tuple[str, float]]] = {}
    rows, cols = np.nonzero(scores)
    for i, j, value in zip(rows.tolist(), cols.tolist(), scores[rows, cols].tolist(), strict=True):
        if label_words[i] == distinct[j] or _typo_of(label_words[i], distinct[j]):
            close_to.setdefault(distinct[j], []).append((label_words[i], value / 100))
    for words, pending, hits in waiting:
        if not any(targets[t].fuzzy for t in pending):
            continue  # as when this CV is alone: no label word long enough to be fuzzy
        positions = words.positions
        close: dict[str, dict[str, float]] = {}  # label word -> the CV's words close to it
        for variant in words.distinct:
            for word, score in close_to.get(variant, ()):
                close.setdefault(word, {})[variant] = score
        for t in pending:
            best: tuple[float, int, int] | None = None
            for label, (short, long) in zip(targets[t].labels, targets[t].parts, strict=True):
                # Most labels have a word with no spot in the CV: skip them before placing.
                if not (short <= positions.keys() and long <= close.keys()):
                    continue
                found = _place(label, close, positions, words.together)
                if (
                    found is not None
                    and (best is None or found[0] > best[0])
                    and targets[t].written(words.matched(found[1], found[2]))
                ):
                    best = found
            if best is not None:
                score, first, last = best
                hits[t] = SkillHit(
                    targets[t].name,
                    True,
                    words.excerpt(first, last - first + 1),
                    round(score, 3),
                    targets[t].skill_id,
                    words.matched(first, last),
                )


def _typo_of(label_word: str, cv_word: str) -> bool:
    """True when ``cv_word`` is ``label_word`` with two neighbouring letters swapped ("Pyhton").

    A typo is the one thing the fuzzy pass may forgive: accents, case, plurals and feminine
    forms are already folded into the words' keys. Any other near spelling is another word as
    often as a typo ("paint"/"saint", "evacuation"/"evaluation", "redaction"/"react",
    "diversity"/"university"), and crediting a CV with a skill it never names is worse than
    missing a misspelt one. British and American spellings ("organisation"/"organization")
    are one word too."""
    if OSA.distance(label_word, cv_word) != 1:
        return False
    if Levenshtein.distance(label_word, cv_word) == 2:
        return True  # two neighbouring letters swapped
    (op,) = Levenshtein.editops(label_word, cv_word)
    return op.tag == "replace" and {label_word[op.src_pos], cv_word[op.dest_pos]} == {"s", "z"}


def _place(
    label: tuple[str, ...],
    close: dict[str, dict[str, float]],
    positions: dict[str, list[int]],
    together: Callable[[int, int], bool],
) -> tuple[float, int, int] | None:
    """Best placement of a label's words in the CV: (mean similarity, first word, last word).

    Every word sits within a few words of the first one and in the same passage
    (``together``), so the placement is a phrase of the CV, not words gathered across it."""
    options: list[list[tuple[int, float]]] = []
    for word in label:
        variants = {word: 1.0} if len(word) < _MIN_FUZZY_LEN else close.get(word, {})
        spots = [(p, s) for v, s in variants.items() for p in positions.get(v, ())]
        if not spots:
            return None
        options.append(sorted(spots))
    anchor_options = options[0]
    best = None
    span = len(label) + 1  # a few words apart: one more than the label has
    for anchor, anchor_score in anchor_options[:50]:
        total, lo, hi = anchor_score, anchor, anchor
        used = {anchor}  # one word of the CV stands for one word of the label
        for other in options[1:]:
            near = [
                (s, p)
                for p, s in other
                if abs(p - anchor) <= span
                and p not in used
                and together(min(p, anchor), max(p, anchor))
            ]
            if not near:
                break
            s, p = max(near)
            used.add(p)
            total += s
            lo, hi = min(lo, p), max(hi, p)
        else:
            score = total / len(label)
            if best is None or score > best[0]:
                best = (score, lo, hi)
    return best


def skill_ids(cv: str | CvWords, vocabulary: Vocabulary) -> frozenset[str]:
    """Ids of every vocabulary skill with an exact hit in the CV (no fuzzy pass: fast)."""
    words = cv if isinstance(cv, CvWords) else CvWords(cv)
    found = set()
    for key, skill in vocabulary._by_key.items():
        where = words.exact(key)
        if where is not None and skill.id not in found:
            matched = words.matched(where[0], sum(where) - 1)
            if any(_written(label, matched) for label in (*skill.labels, skill.id)):
                found.add(skill.id)
    return frozenset(found)


def labels_of(skills: Iterable[str]) -> list[str]:
    """Deduplicated non-empty labels, in order (offers sometimes repeat a skill)."""
    seen, out = set(), []
    for label in skills:
        label = label.strip()
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            out.append(label)
    return out

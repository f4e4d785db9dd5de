"""Text normalisation for French and English.

Everything the matcher compares goes through :func:`analyze`: Unicode folding (accents,
ligatures, typographic quotes), lower case, French elision (``l'``, ``d'``, ``qu'``…),
masculine and feminine forms of job titles collapsed to one form, stop words from the
``stop-words`` package, and optional Snowball stemming.

:class:`matching.skills.CvWords` keeps the same kind of words with their place in the
original text, so that a match can be shown to a recruiter as an excerpt of what was written.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import snowballstemmer
import stop_words
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = [
    "STOP_WORDS",
    "analyze",
    "fold",
    "fold_gender",
    "neutralize_gender",
    "stem",
    "tokenize",
]

# Content words that the stop-words lists include: nouns, adjectives, numerals and verbs
# that name things in job texts ("aide à la personne", "conducteur de four", "agent de
# l'État", "entretien de la voie", "ingénieur des mines", "vente au détail", "fire safety",
# "system administrator"). Only function words (articles, pronouns, prepositions,
# conjunctions, auxiliaries, adverbs) are dropped.
_KEEP = frozenset(
    {
        # French
        "personne",
        "personnes",
        "piece",
        "pieces",
        "force",
        "forces",
        "valeur",
        "essai",
        "parole",
        "droite",
        "sujet",
        "point",
        "points",
        "nouveau",
        "etat",
        "voie",
        "mine",
        "dos",
        "haut",
        "grande",
        "bon",
        "debut",
        "mot",
        "nom",
        "chose",
        "choses",
        "plein",
        # English (also French words: "four", "mine", "detail", "part", "front")
        "amount",
        "bill",
        "bottom",
        "detail",
        "fire",
        "four",
        "front",
        "full",
        "interest",
        "mill",
        "name",
        "part",
        "side",
        "system",
        "top",
    }
)

_LIGATURES = {
    "œ": "oe",
    "Œ": "oe",
    "æ": "ae",
    "Æ": "ae",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "`": "'",
    "´": "'",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "•": " ",
}
# A regex that touches only those characters: str.translate is slow on long non-ASCII text.
_LIGATURE_RE = re.compile("[" + "".join(_LIGATURES) + "]")


# Combining marks left by NFKD decomposition (accents, cedillas, diaereses…).
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Return ``text`` lower-cased, without accents, ligatures or typographic quotes.

    Letters keep their base form (``"Élève Œuvre"`` -> ``"eleve oeuvre"``); characters of
    other scripts are kept as they are.
    """
    if text.isascii():  # most words: no accent, no ligature, no typographic quote
        return text.replace("`", "'").lower()
    text = _LIGATURE_RE.sub(lambda m: _LIGATURES[m.group()], text)
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def _build_stop_words() -> frozenset[str]:
    french = {fold(w) for w in stop_words.get_stop_words("fr")}
    # The package's English list (1,300 words) includes content words such as "computer",
    # "research" or "information"; keep only the function words scikit-learn also lists.
    english = {fold(w) for w in stop_words.get_stop_words("en")} & set(ENGLISH_STOP_WORDS)
    return frozenset((french | english | {"h", "f", "x"}) - _KEEP)


STOP_WORDS: frozenset[str] = _build_stop_words()

# --- masculine and feminine forms ---------------------------------------------------------

_FEMININE_SUFFIXES = (
    r"e|es|ne|nes|le|les|se|ses|te|tes|euse|euses|rice|rices|trice|trices|ere|eres|iere|ieres|"
    r"ive|ives|ienne|iennes|enne|ennes|ale|ales|elle|elles|ante|antes|ente|entes|fe|ffe"
)
# "Directeur(trice)", "agent(e)", "technicien (ne)", "Chargé(e)s"
_PAREN_FORM = re.compile(rf"(?<=\w)\s?\((?:{_FEMININE_SUFFIXES})\)(s?)")
# "agent·e", "technicien·ne·s", "salarié.e.s"
# (the separator first and the letter before it looked behind: the regex engine then jumps
# from separator to separator instead of trying every position)
_DOT_FORM = re.compile(rf"[·.•](?<=\w[·.•])(?:{_FEMININE_SUFFIXES})(?:[·.•]?s)?\b")
# "Directeur-trice", "vendeur-euse"
_DASH_FORM = re.compile(r"-(?<=\w-)(?:trice|rice|euse|iere|ienne|ere|ne|e)\b")
# "(H/F)", "H/F", "F/H", "(F/H/X)"
_HF_MARK = re.compile(r"\(?\b[hf]\s?/\s?[hf](?:\s?/\s?[xn])?\b\)?")
_SLASH = re.compile(r"\s*/\s*")


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _gender_variants(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` look like two genders of one word (``directeur``/``directrice``)."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    prefix = _common_prefix(a, b)
    return prefix >= 3 and prefix >= shorter - 3


def _merge_slash_pair(left: str, right: str) -> str | None:
    """Merge ``"X Y"`` and ``"X' Y' rest"`` into ``"X Y rest"`` when X'/Y' are gender forms."""
    lw, rw = left.split(), right.split()
    for k in range(min(len(lw), len(rw)), 0, -1):
        if all(_gender_variants(lw[-k + i], rw[i]) for i in range(k)):
            return " ".join(lw + rw[k:])
    return None


def neutralize_gender(text: str) -> str:
    """Collapse the masculine and feminine forms written together in a job title.

    Expects folded text (see :func:`fold`). ``"accrocheur / accrocheuse"`` ->
    ``"accrocheur"``, ``"directeur(trice)"`` -> ``"directeur"``, ``"agent·e"`` -> ``"agent"``,
    ``"operateur de trefilerie/operatrice de trefilerie"`` -> ``"operateur de trefilerie"``;
    ``"(h/f)"`` markers are removed. A slash between unrelated words is kept as a space.
    """
    # Each rule runs only on a text holding its mark: most of a CV has none.
    if "/" in text:
        text = _HF_MARK.sub(" ", text)
    if "(" in text:
        text = _PAREN_FORM.sub(r"\1", text)
    text = _DOT_FORM.sub("", text)
    if "-" in text:
        text = _DASH_FORM.sub("", text)
    if "/" not in text:
        return text
    parts = _SLASH.split(text)
    merged = parts[0]
    for part in parts[1:]:
        # Only the words since the last punctuation take part in the comparison.
        head, sep, tail = _rsplit_clause(merged)
        combined = _merge_slash_pair(tail, part) if tail.strip() else None
        merged = head + sep + combined if combined is not None else merged + " " + part
    return merged


def _rsplit_clause(text: str) -> tuple[str, str, str]:
    cut = max((m.end() for m in _CLAUSE_BREAK.finditer(text)), default=0)
    if cut == 0:
        return "", "", text
    return text[:cut], " ", text[cut:]


_CLAUSE_BREAK = re.compile(r"[,;:()\-]")


# Word-level rules that map feminine job-title forms to the masculine one, applied to both
# sides of a comparison so "accrocheuse" meets "accrocheur". Longest suffix first.
_GENDER_RULES = (
    ("trices", "teurs"),
    ("trice", "teur"),
    ("euses", "eurs"),
    ("euse", "eur"),
    ("ieres", "iers"),
    ("iere", "ier"),
    ("iennes", "iens"),
    ("ienne", "ien"),
    ("onnes", "ons"),
    ("onne", "on"),
    ("antes", "ants"),
    ("ante", "ant"),
    ("ales", "aux"),
    ("ale", "al"),
    ("elles", "els"),
    ("elle", "el"),
    ("ives", "ifs"),
    ("ive", "if"),
    ("eres", "ers"),
    ("ere", "er"),
    ("ees", "es"),
    ("ee", "e"),
    ("ffes", "fs"),
    ("ffe", "f"),
)


@functools.lru_cache(maxsize=200_000)
def fold_gender(word: str) -> str:
    """Map a feminine word form to its masculine form (``"directrice"`` -> ``"directeur"``).

    A pure suffix rule, applied consistently to offers and CVs; words shorter than six
    letters are left alone.
    """
    if len(word) < 6:
        return word
    for suffix, replacement in _GENDER_RULES:
        if word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    return word


# --- tokens -------------------------------------------------------------------------------

_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)'(?=\w)")
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
# (mark, pattern, replacement): the pattern runs only on a text that holds the mark
_SPECIAL = (
    (".net", re.compile(r"(?<![\w.])\.net\b"), "dotnet"),
    (".js", re.compile(r"\b(\w+)\.js\b"), r"\1js"),
    ("c++", re.compile(r"\bc\+\+"), "cplusplus"),
    ("c#", re.compile(r"\bc#"), "csharp"),
    ("f#", re.compile(r"\bf#"), "fsharp"),
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _prepare(folded: str) -> str:
    folded = neutralize_gender(folded)
    if "'" in folded:
        folded = _ELISION.sub(" ", folded)
        if "'s" in folded:
            folded = _POSSESSIVE.sub("", folded)
    for mark, pattern, replacement in _SPECIAL:
        if mark in folded:
            folded = pattern.sub(replacement, folded)
    return folded


def tokenize(text: str) -> list[str]:
    """Split ``text`` into folded words, with elision, gender pairs and ``C++``/``.NET`` handled.

    Stop words are kept; see :func:`analyze` for the full pipeline.
    """
    return _TOKEN.findall(_prepare(fold(text)))


_STEMMERS = {"fr": snowballstemmer.stemmer("french"), "en": snowballstemmer.stemmer("english")}


@functools.lru_cache(maxsize=500_000)
def stem(word: str, language: str = "fr") -> str:
    """Snowball stem of ``word`` (French by default, ``"en"`` for English). Cached."""
    return _STEMMERS[language].stemWord(word)


def analyze(
    text: str,
    *,
    stop: bool = True,
    stemming: str | None = "fr",
    gender: bool = True,
) -> list[str]:
    """The normalised words of ``text``, in order: what the TF-IDF model counts.

    Folding, elision, gendered forms collapsed, stop words dropped (``stop``), feminine
    suffixes mapped to the masculine (``gender``) and Snowball stemming in ``stemming``'s
    language (``None`` to keep whole words). Digits-only tokens of one character are dropped.
    """
    words = tokenize(text)
    out: list[str] = []
    for word in words:
        if stop and word in STOP_WORDS:
            continue
        if len(word) == 1 and not word.isalpha():
            continue
        if gender:
            word = fold_gender(word)
        if stemming:
            word = stem(word, stemming)
        out.append(word)
    return out

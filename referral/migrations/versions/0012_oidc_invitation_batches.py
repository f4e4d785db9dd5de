"""Sign-in with the organisation's identity provider and invitations sent by the worker:
user_account.oidc_issuer/oidc_subject (unique together), invitation_batch and
user_account.invitation_batch_id.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 15:00:00
"""

import sqlalchemy as sa
from alembic import op

import referral.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitation_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("set_password_url", sa.String(length=500), nullable=False),
        sa.Column("sign_in_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", referral.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", referral.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_batch")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("invitation_batch_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_user_account_oidc_issuer_oidc_subject"), ["oidc_issuer", "oidc_subject"]
        )
        batch_op.create_index(
            batch_op.f("ix_user_account_invitation_batch_id"), ["invitation_batch_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_invitation_batch_id_invitation_batch"),
            "invitation_batch",
            ["invitation_batch_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_user_account_invitation_batch_id_invitation_batch"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_user_account_invitation_batch_id"))
        batch_op.drop_constraint(
            batch_op.f("uq_user_account_oidc_issuer_oidc_subject"), type_="unique"
        )
        batch_op.drop_column("invitation_batch_id")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
    op.drop_table("invitation_batch")

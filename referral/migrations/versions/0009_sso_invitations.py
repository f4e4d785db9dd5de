"""user_account.invited_at, activated_at: who was invited to Relais, who set a password, when

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 13:00:00
"""

import sqlalchemy as sa
from alembic import op

import referral.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invited_at", referral.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("activated_at", referral.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("activated_at")
        batch_op.drop_column("invited_at")

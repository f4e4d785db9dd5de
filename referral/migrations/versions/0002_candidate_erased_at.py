"""candidate.erased_at: when a candidate's personal data was erased

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:20:00
"""

import sqlalchemy as sa
from alembic import op

import referral.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", referral.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_column("erased_at")

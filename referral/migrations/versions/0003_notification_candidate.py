"""notification.candidate_id: the candidate a message names, so that erasing them rewrites it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidate_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_notification_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_candidate_id_candidate"),
            "candidate",
            ["candidate_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notification_candidate_id_candidate"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_notification_candidate_id"))
        batch_op.drop_column("candidate_id")

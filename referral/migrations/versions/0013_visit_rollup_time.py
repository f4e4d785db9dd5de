"""visit_day_zone.rolled_up_at: the instant up to which the visit roll-up holds every visit.

The worker keeps the roll-up current; the analytics pages only read it and say "figures up to
<time>" when it is behind.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visit_day_zone") as batch:
        batch.add_column(sa.Column("rolled_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit_day_zone") as batch:
        batch.drop_column("rolled_up_at")

"""visit_day_zone.rolled_up_at: the instant up to which the visit roll-up holds every visit;
indexes that let the funnel read applications and status changes from the index alone.

The worker keeps the roll-up current; the analytics pages only read it and say "figures up to
<time>" when it is behind. On SQLite at 100k applications the funnel's first application per
offer and channel, and the furthest stage of each application, no longer read table rows.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visit_day_zone") as batch:
        batch.add_column(sa.Column("rolled_up_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_application_offer_created", table_name="application")
    op.create_index(
        "ix_application_offer_created",
        "application",
        ["offer_id", "created_at", "share_link_id", "source", "credited_agent_id"],
    )
    op.create_index(
        "ix_status_change_reached", "status_change", ["application_id", "at", "to_status"]
    )


def downgrade() -> None:
    op.drop_index("ix_status_change_reached", table_name="status_change")
    op.drop_index("ix_application_offer_created", table_name="application")
    op.create_index("ix_application_offer_created", "application", ["offer_id", "created_at"])
    with op.batch_alter_table("visit_day_zone") as batch:
        batch.drop_column("rolled_up_at")

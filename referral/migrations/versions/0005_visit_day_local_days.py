"""visit_day counts the organisation's days (RELAIS_TIMEZONE), not UTC days; visit_day_zone
records which time zone. The UTC roll-up is emptied: the next refresh rebuilds it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_day_zone",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("zone", name=op.f("pk_visit_day_zone")),
    )
    # Rebuilt from the visits by the next refresh (an empty roll-up is read from scratch).
    op.execute(sa.text("DELETE FROM visit_day"))


def downgrade() -> None:
    op.drop_table("visit_day_zone")
    # Local days mean nothing to the UTC code: empty again, rebuilt from the visits.
    op.execute(sa.text("DELETE FROM visit_day"))

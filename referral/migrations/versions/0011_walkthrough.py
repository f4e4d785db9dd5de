"""An offer's place of work as a postal address (street, postal code) and its pay as a
structured range (minimum, maximum, unit), for the JobPosting of search engines.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offer") as batch:
        batch.add_column(
            sa.Column("street_address", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("postal_code", sa.String(length=10), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("pay_min", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pay_max", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pay_unit", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offer") as batch:
        batch.drop_column("pay_unit")
        batch.drop_column("pay_max")
        batch.drop_column("pay_min")
        batch.drop_column("postal_code")
        batch.drop_column("street_address")

"""The ECB's daily reference rates, shared by every process (SPEC 10.6, branch money).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'fx_rates',
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('per_euro', sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column('rates_date', sa.Date(), nullable=False),
        sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('currency', name=op.f('pk_fx_rates')),
    )


def downgrade():
    op.drop_table('fx_rates')

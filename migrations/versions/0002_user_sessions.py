"""A row per logged-in browser, replacing the per-user session token

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 14:40:00

Logging out (or out everywhere) deletes rows, so a copied cookie stops working; the rows
live in the database, so a Redis outage logs nobody out. Upgrading ends every existing
login (their cookies name a token that no longer exists); so does downgrading.

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


@contextmanager
def users_batch():
    """SQLite's batch mode rebuilds the table and can't carry the expression index over."""
    op.drop_index('uq_users_email_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        yield batch_op
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_sessions_key_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with users_batch() as batch_op:
        batch_op.drop_column('session_token')


def downgrade():
    with users_batch() as batch_op:
        # A value no cookie holds: everyone logs in again.
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=False, server_default='downgraded'))

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')

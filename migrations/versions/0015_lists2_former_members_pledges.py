"""A pledge toward a gift bought together outlives its pledger's account, as their purchase does

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:40:00

Erasing an account keeps its purchases without a name ("a former member", issue 22). A gift
bought together is the pledgers' purchase: deleting an erased pledger's pledge with the account
left a "bought" group gift whose pledges no longer added up to what was paid. `pledges.user_id`
becomes nullable and is set to nothing when the account goes. Open group gifts never keep such a
pledge: leaving the group (which erasing does first) withdraws it.

Down: the pledges of erased accounts go, as they did before.
"""
from alembic import op
import sqlalchemy as sa

from piglist.stores import sqlite_tables

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

FK = 'fk_pledges_user_id_users'


def _user_may_go(alter, nullable, ondelete):
    alter.drop_constraint(FK, type_='foreignkey')
    alter.alter_column('user_id', existing_type=sa.Integer(), nullable=nullable)
    alter.create_foreign_key(FK, 'users', ['user_id'], ['id'], ondelete=ondelete)


def _alter(nullable, ondelete):
    if op.get_bind().dialect.name == 'sqlite':
        sqlite_tables.rebuild(op, 'pledges', lambda alter: _user_may_go(alter, nullable, ondelete))
    else:
        with op.batch_alter_table('pledges') as alter:
            _user_may_go(alter, nullable, ondelete)


def upgrade():
    _alter(True, 'SET NULL')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('SET CONSTRAINTS ALL IMMEDIATE')  # 0009's version triggers, before an ALTER
    op.execute('DELETE FROM pledges WHERE user_id IS NULL')
    _alter(False, 'CASCADE')

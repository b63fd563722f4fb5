"""Group gifts: several members chipping in for one gift (SPEC §10.3)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:30:00

`group_gifts` holds a gift's organiser and state (open, bought, cancelled), `pledges` what each
member promised toward it. Both are what everyone but the list's recipients see, like purchases:
triggers move the list's `purchase_version` (migration 0007) when they change, so the lists'
cache never serves a stale progress bar and a recipient's cached list never moves.

A gift bought together has a purchases row for each pledger; only one holds the one of the gift
(quantity 1), the others hold 0: `purchases.quantity` may now be 0. Downgrading drops those rows.
"""

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

POSTGRESQL = """
CREATE FUNCTION piglist_group_gift_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE piglists SET purchase_version = purchase_version + 1
    WHERE id IN (SELECT piglist_id FROM gifts WHERE id IN (OLD.gift_id, NEW.gift_id));
    RETURN NULL;
END $$;

CREATE FUNCTION piglist_pledge_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE piglists SET purchase_version = purchase_version + 1
    WHERE id IN (SELECT g.piglist_id FROM gifts g JOIN group_gifts gg ON gg.gift_id = g.id
                 WHERE gg.id IN (OLD.group_gift_id, NEW.group_gift_id));
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER group_gifts_versions AFTER INSERT OR UPDATE OR DELETE ON group_gifts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION piglist_group_gift_versions();
CREATE CONSTRAINT TRIGGER pledges_versions AFTER INSERT OR UPDATE OR DELETE ON pledges
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION piglist_pledge_versions();
"""

POSTGRESQL_DOWN = """
DROP TRIGGER group_gifts_versions ON group_gifts;
DROP TRIGGER pledges_versions ON pledges;
DROP FUNCTION piglist_group_gift_versions();
DROP FUNCTION piglist_pledge_versions();
"""

_ROWS = (('INSERT', 'NEW', 'NEW'), ('UPDATE', 'OLD', 'NEW'), ('DELETE', 'OLD', 'OLD'))

SQLITE = [
    *(
        f"""CREATE TRIGGER group_gifts_versions_{event.lower()} AFTER {event} ON group_gifts BEGIN
        UPDATE piglists SET purchase_version = purchase_version + 1
        WHERE id IN (SELECT piglist_id FROM gifts WHERE id IN ({old}.gift_id, {new}.gift_id)); END"""
        for event, old, new in _ROWS
    ),
    *(
        f"""CREATE TRIGGER pledges_versions_{event.lower()} AFTER {event} ON pledges BEGIN
        UPDATE piglists SET purchase_version = purchase_version + 1
        WHERE id IN (SELECT g.piglist_id FROM gifts g JOIN group_gifts gg ON gg.gift_id = g.id
                     WHERE gg.id IN ({old}.group_gift_id, {new}.group_gift_id)); END"""
        for event, old, new in _ROWS
    ),
]
SQLITE_TRIGGERS = [f'{table}_versions_{event.lower()}' for table in ('group_gifts', 'pledges') for event, _, _ in _ROWS]


def _purchases_triggers_on_sqlite():
    """Migration 0007's triggers on purchases: SQLite rebuilds the table to change its CHECK, and a
    table's triggers go with it."""
    path = Path(__file__).with_name('0007_list_versions.py')
    spec = importlib.util.spec_from_file_location('piglist_migration_0007', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [statement for statement in module.SQLITE if 'ON purchases' in statement]


def _purchase_quantity_check(expression):
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('purchases', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_purchases_quantity'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_purchases_quantity'), expression)
    if sqlite:
        for statement in _purchases_triggers_on_sqlite():
            op.execute(statement)


def upgrade():
    op.create_table('group_gifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gift_id', sa.Integer(), nullable=False),
    sa.Column('organiser_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'bought', 'cancelled')", name=op.f('ck_group_gifts_status')),
    sa.ForeignKeyConstraint(['gift_id'], ['gifts.id'], name=op.f('fk_group_gifts_gift_id_gifts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_group_gifts_holder_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organiser_id'], ['users.id'], name=op.f('fk_group_gifts_organiser_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_gifts')),
    sa.UniqueConstraint('gift_id', name=op.f('uq_group_gifts_gift_id'))
    )
    with op.batch_alter_table('group_gifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_gifts_organiser_id'), ['organiser_id'], unique=False)

    op.create_table('pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_gift_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pledges_amount_positive')),
    sa.ForeignKeyConstraint(['group_gift_id'], ['group_gifts.id'], name=op.f('fk_pledges_group_gift_id_group_gifts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pledges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges')),
    sa.UniqueConstraint('group_gift_id', 'user_id', name=op.f('uq_pledges_group_gift_id_user_id'))
    )
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledges_user_id'), ['user_id'], unique=False)

    _purchase_quantity_check('quantity BETWEEN 0 AND 99')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL_DOWN)
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER {name}')
    # A pledger's share of a gift bought together was money, not one of the gift.
    op.execute('DELETE FROM purchases WHERE quantity = 0')
    if op.get_bind().dialect.name == 'postgresql':
        # The deletions' deferred version triggers (0007) must run before purchases is altered.
        op.execute('SET CONSTRAINTS ALL IMMEDIATE')
    _purchase_quantity_check('quantity BETWEEN 1 AND 99')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledges_user_id'))
    op.drop_table('pledges')
    with op.batch_alter_table('group_gifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_gifts_organiser_id'))
    op.drop_table('group_gifts')

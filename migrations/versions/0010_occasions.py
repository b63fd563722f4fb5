"""Occasions: dates with the lists they concern, reminders sent, calendar feeds, reveals

Revision ID: 0010
Revises: 0007

A gift may be tagged for an occasion (`gifts.occasion_id`), and a reveal moves the gifts bought
on a list off it (`gifts.reveal_id`, with the recipients' `thanked_at`). The gift columns are
added with plain ALTER TABLE, never a batch: a batch rebuilds `gifts` on SQLite, which would drop
the list-version triggers of 0007.
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# SQLite's trigger moving a list's version names the gift columns the owner sees (0007); the new
# ones join them. PostgreSQL's compares whole rows, so it needs nothing.
CONTENT_0007 = (
    'piglist_id', 'category_id', 'url', 'title', 'description', 'price', 'regular_price',
    'currency', 'image_url', 'image_source', 'quantity', 'priority', 'options', 'scrape_status',
    'scrape_error', 'deleted_at', 'created_at', 'updated_at',
)
NEW_GIFT_COLUMNS = ('occasion_id', 'reveal_id', 'thanked_at')
# What 0008 (lists and ideas) taught the trigger, kept when this one rewrites it.
LISTS_0008 = ('added_by_id', 'is_idea')


def _sqlite_content_trigger(columns):
    changed = ' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in columns)
    op.execute('DROP TRIGGER gifts_versions_content')
    op.execute(
        f"""CREATE TRIGGER gifts_versions_content AFTER UPDATE ON gifts WHEN {changed} BEGIN
        UPDATE piglists SET version = version + 1 WHERE id IN (OLD.piglist_id, NEW.piglist_id); END"""
    )


def upgrade():
    op.create_table('occasions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('all_lists', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_occasions_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_occasions'))
    )
    op.create_index(op.f('ix_occasions_group_id'), 'occasions', ['group_id'], unique=False)
    op.create_index(op.f('ix_occasions_date'), 'occasions', ['date'], unique=False)
    op.create_table('occasion_lists',
    sa.Column('occasion_id', sa.Integer(), nullable=False),
    sa.Column('piglist_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['occasion_id'], ['occasions.id'], name=op.f('fk_occasion_lists_occasion_id_occasions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['piglist_id'], ['piglists.id'], name=op.f('fk_occasion_lists_piglist_id_piglists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('occasion_id', 'piglist_id', name=op.f('pk_occasion_lists'))
    )
    op.create_index(op.f('ix_occasion_lists_piglist_id'), 'occasion_lists', ['piglist_id'], unique=False)
    op.create_table('sent_reminders',
    sa.Column('occasion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occasion_id'], ['occasions.id'], name=op.f('fk_sent_reminders_occasion_id_occasions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sent_reminders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('occasion_id', 'user_id', 'days_before', name=op.f('pk_sent_reminders'))
    )
    op.create_index(op.f('ix_sent_reminders_user_id'), 'sent_reminders', ['user_id'], unique=False)
    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    op.create_table('reveals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occasion_id', sa.Integer(), nullable=False),
    sa.Column('piglist_id', sa.Integer(), nullable=False),
    sa.Column('revealed_by_id', sa.Integer(), nullable=True),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occasion_id'], ['occasions.id'], name=op.f('fk_reveals_occasion_id_occasions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['piglist_id'], ['piglists.id'], name=op.f('fk_reveals_piglist_id_piglists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revealed_by_id'], ['users.id'], name=op.f('fk_reveals_revealed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reveals')),
    sa.UniqueConstraint('occasion_id', 'piglist_id', name=op.f('uq_reveals_occasion_id_piglist_id'))
    )
    op.create_index(op.f('ix_reveals_piglist_id'), 'reveals', ['piglist_id'], unique=False)

    op.add_column('users', sa.Column('reminders', sa.Boolean(), server_default=sa.text('true'), nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('gifts', sa.Column('occasion_id', sa.Integer(), nullable=True))
        op.add_column('gifts', sa.Column('reveal_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_gifts_occasion_id_occasions'), 'gifts', 'occasions', ['occasion_id'], ['id'], ondelete='SET NULL')
        op.create_foreign_key(op.f('fk_gifts_reveal_id_reveals'), 'gifts', 'reveals', ['reveal_id'], ['id'], ondelete='SET NULL')
    else:
        # SQLite adds a column with its reference in one statement, or not at all.
        op.execute('ALTER TABLE gifts ADD COLUMN occasion_id INTEGER '
                   'CONSTRAINT fk_gifts_occasion_id_occasions REFERENCES occasions (id) ON DELETE SET NULL')
        op.execute('ALTER TABLE gifts ADD COLUMN reveal_id INTEGER '
                   'CONSTRAINT fk_gifts_reveal_id_reveals REFERENCES reveals (id) ON DELETE SET NULL')
    op.add_column('gifts', sa.Column('thanked_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_gifts_occasion_id'), 'gifts', ['occasion_id'], unique=False)
    op.create_index(op.f('ix_gifts_reveal_id'), 'gifts', ['reveal_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_content_trigger(CONTENT_0007 + LISTS_0008 + NEW_GIFT_COLUMNS)


def downgrade():
    # Plain ALTER TABLE, not a batch (see above). SQLite drops a column only once nothing
    # (an index, a reference, a trigger) names it.
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_content_trigger(CONTENT_0007 + LISTS_0008)
    op.drop_index(op.f('ix_gifts_reveal_id'), table_name='gifts')
    op.drop_index(op.f('ix_gifts_occasion_id'), table_name='gifts')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('fk_gifts_reveal_id_reveals'), 'gifts', type_='foreignkey')
        op.drop_constraint(op.f('fk_gifts_occasion_id_occasions'), 'gifts', type_='foreignkey')
    op.execute('ALTER TABLE gifts DROP COLUMN thanked_at')
    op.execute('ALTER TABLE gifts DROP COLUMN reveal_id')
    op.execute('ALTER TABLE gifts DROP COLUMN occasion_id')
    op.execute('ALTER TABLE users DROP COLUMN reminders')
    op.drop_index(op.f('ix_reveals_piglist_id'), table_name='reveals')
    op.drop_table('reveals')
    op.drop_table('calendar_feeds')
    op.drop_index(op.f('ix_sent_reminders_user_id'), table_name='sent_reminders')
    op.drop_table('sent_reminders')
    op.drop_index(op.f('ix_occasion_lists_piglist_id'), table_name='occasion_lists')
    op.drop_table('occasion_lists')
    op.drop_index(op.f('ix_occasions_date'), table_name='occasions')
    op.drop_index(op.f('ix_occasions_group_id'), table_name='occasions')
    op.drop_table('occasions')

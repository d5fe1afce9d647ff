"""The satker tree (parent satker, level ri/provinsi/kabkota) and the scheduler lease

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on):
    """SQLite rebuilds ``satker`` for these changes; with foreign keys enforced, dropping the old table would fail
    for every unit (and child satker) that refers to it. The pragma only acts outside a transaction."""
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    op.create_table('scheduler_lease',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease'))
    )
    with op.batch_alter_table('satker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_satker_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_satker_parent_id_satker'), 'satker', ['parent_id'], ['id'])
    # A parent code that names a satker of this installation becomes the link; one that does not (the demo's
    # province "33", not loaded) is dropped with the column.
    op.execute("UPDATE satker SET parent_id = (SELECT p.id FROM satker p WHERE p.code = satker.parent_code) "
               "WHERE parent_code IS NOT NULL")
    op.execute("UPDATE satker SET level = 'kabkota' WHERE level NOT IN ('ri', 'provinsi')")
    with op.batch_alter_table('satker', schema=None) as batch_op:
        batch_op.drop_column('parent_code')
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('satker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_code', sa.String(length=20), nullable=True))
    op.execute("UPDATE satker SET parent_code = (SELECT p.code FROM satker p WHERE p.id = satker.parent_id)")
    op.execute("UPDATE satker SET level = 'kabupaten' WHERE level = 'kabkota'")
    with op.batch_alter_table('satker', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_satker_parent_id_satker'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_satker_parent_id'))
        batch_op.drop_column('parent_id')
    op.drop_table('scheduler_lease')
    _sqlite_foreign_keys(True)

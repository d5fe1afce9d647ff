"""The month lock lives in unit_months only: entries.is_locked goes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:00:00

A closed unit-month locks its entries; the copy of that fact on every entry (``entries.is_locked``) could
disagree with it and is dropped. Downgrading puts the column back, filled from the unit-months.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # In place (SQLite >= 3.35 has DROP COLUMN): a batch copy would drop "entries", which the evidence rows'
    # foreign keys refuse once they exist.
    with op.batch_alter_table('entries', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('is_locked')


def downgrade():
    with op.batch_alter_table('entries', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('is_locked', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE entries SET is_locked = TRUE WHERE EXISTS (SELECT 1 FROM unit_months um WHERE "
               "um.unit_id = entries.unit_id AND um.period = entries.period AND um.is_closed = TRUE)")

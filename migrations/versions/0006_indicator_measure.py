"""How each indicator is measured (measure) and its Renstra target

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


MEASURES = ('sum_quantity', 'count_entries', 'count_final_packets', 'manual')


def upgrade():
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('measure', sa.Enum(*MEASURES, name='measure', native_enum=False, length=30),
                                      server_default='sum_quantity', nullable=False))
        batch_op.add_column(sa.Column('target_renstra', sa.Numeric(precision=14, scale=2), nullable=True))
    # Indicators without an output code were entered by Rendatin: say so.
    op.execute("UPDATE indicators SET measure = 'manual' WHERE output_code_id IS NULL AND NOT EXISTS "
               "(SELECT 1 FROM lkj_indicator_output_codes x WHERE x.indicator_id = indicators.id)")


def downgrade():
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_column('target_renstra')
        batch_op.drop_column('measure')

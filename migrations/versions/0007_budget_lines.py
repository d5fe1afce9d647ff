"""Pagu and realisasi anggaran per output code and year (LKj Bab III B)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lkj_budget_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('output_code_id', sa.Integer(), nullable=False),
    sa.Column('pagu', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('realisasi', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=True),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_lkj_budget_lines_imported_by_id_users')),
    sa.ForeignKeyConstraint(['output_code_id'], ['output_codes.id'], name=op.f('fk_lkj_budget_lines_output_code_id_output_codes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lkj_budget_lines')),
    sa.UniqueConstraint('year', 'output_code_id', name=op.f('uq_lkj_budget_lines_year_output_code_id'))
    )
    with op.batch_alter_table('lkj_budget_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lkj_budget_lines_year'), ['year'], unique=False)


def downgrade():
    with op.batch_alter_table('lkj_budget_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lkj_budget_lines_year'))
    op.drop_table('lkj_budget_lines')

"""LKj period: an LKj report is the annual one ('tahun', every existing row) or a semester report ('s1', 's2');
the period is part of its key with the year and the report code

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 18:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on):
    """SQLite rebuilds ``lkj_reports``; with foreign keys enforced, dropping the old table would delete (cascade)
    every document, step and file of every report. The pragma only acts outside a transaction."""
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('lkj_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period', sa.String(length=10), nullable=False, server_default='tahun'))
        batch_op.drop_constraint(batch_op.f('uq_lkj_reports_year_report_code'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_lkj_reports_year_report_code_period'),
                                          ['year', 'report_code', 'period'])
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    # The semester reports have no place in the older schema (one report per year and code).
    op.execute("DELETE FROM lkj_reports WHERE period <> 'tahun'")
    with op.batch_alter_table('lkj_reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_lkj_reports_year_report_code_period'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_lkj_reports_year_report_code'), ['year', 'report_code'])
        batch_op.drop_column('period')
    _sqlite_foreign_keys(True)

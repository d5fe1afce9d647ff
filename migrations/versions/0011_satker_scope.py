"""Satker scope: the catalogue, the office calendar's additions, indicators, pleno packets, LKj reports and the
audit trail belong to a satker (every existing row to the installation's first satker); a unit code, an output
code, an office day, an indicator, a packet version and an LKj report are unique within their satker; a packet
is the satker's own month ("satker") or a province's roll-up of its children ("provinsi")

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# table -> (old unique constraint columns, new unique constraint columns); None: no constraint changes
TABLES = {
    'units': (['code'], ['satker_id', 'code']),
    'output_codes': (['code'], ['satker_id', 'code']),
    'office_days': (['day'], ['satker_id', 'day']),
    'indicators': (['year', 'report_code', 'code'], ['satker_id', 'year', 'report_code', 'code']),
    'packets': (['period', 'version'], ['satker_id', 'kind', 'period', 'version']),
    'lkj_reports': (['year', 'report_code', 'period'], ['satker_id', 'year', 'report_code', 'period']),
}


def _uq(table, columns):
    return f"uq_{table}_{'_'.join(columns)}"


def _sqlite_foreign_keys(on):
    """SQLite rebuilds these tables; with foreign keys enforced, dropping an old table would delete (cascade) the
    rows that point at it (documents, steps, files). The pragma only acts outside a transaction."""
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    first = "(SELECT MIN(id) FROM satker)"
    for table in ('output_codes', 'office_days', 'indicators', 'packets', 'lkj_reports', 'audit_events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('satker_id', sa.Integer(), nullable=True))
            if table == 'packets':
                batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False,
                                              server_default='satker'))
        op.execute(f"UPDATE {table} SET satker_id = {first}")
    for table, (old, new) in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table != 'units':
                batch_op.alter_column('satker_id', existing_type=sa.Integer(), nullable=False)
                batch_op.create_foreign_key(batch_op.f(f'fk_{table}_satker_id_satker'), 'satker',
                                            ['satker_id'], ['id'])
            batch_op.create_index(batch_op.f(f'ix_{table}_satker_id'), ['satker_id'], unique=False)
            batch_op.drop_constraint(batch_op.f(_uq(table, old)), type_='unique')
            batch_op.create_unique_constraint(batch_op.f(_uq(table, new)), new)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_satker_id_satker'), 'satker', ['satker_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_audit_events_satker_id'), ['satker_id'], unique=False)
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    # Only the first satker's rows fit the older, one-satker schema.
    first = "(SELECT MIN(id) FROM satker)"
    op.execute(f"DELETE FROM packet_files WHERE packet_id IN (SELECT id FROM packets WHERE satker_id <> {first} "
               "OR kind <> 'satker')")
    op.execute(f"DELETE FROM packets WHERE satker_id <> {first} OR kind <> 'satker'")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_satker_id'))
        batch_op.drop_constraint(batch_op.f('fk_audit_events_satker_id_satker'), type_='foreignkey')
        batch_op.drop_column('satker_id')
    for table, (old, new) in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(_uq(table, new)), type_='unique')
            batch_op.create_unique_constraint(batch_op.f(_uq(table, old)), old)
            batch_op.drop_index(batch_op.f(f'ix_{table}_satker_id'))
            if table != 'units':
                batch_op.drop_constraint(batch_op.f(f'fk_{table}_satker_id_satker'), type_='foreignkey')
                batch_op.drop_column('satker_id')
            if table == 'packets':
                batch_op.drop_column('kind')
    _sqlite_foreign_keys(True)

"""LKj outputs: the files issued by sending and archiving (cover letter, archive), where the hard copy is kept,
the letter's perihal, and the division a komisioner role carries

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lkj_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['document_id'], ['lkj_documents.id'], ),
        sa.ForeignKeyConstraint(['report_id'], ['lkj_reports.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('report_id', 'kind'),
    )
    with op.batch_alter_table('lkj_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lkj_files_report_id'), ['report_id'], unique=False)
    with op.batch_alter_table('lkj_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_subject', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('hardcopy_location', sa.String(length=300), nullable=True))
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('division', sa.String(length=200), nullable=True))
    # Until now the komisioner role meant the commissioner of the planning division (its label says so).
    op.execute("UPDATE user_roles SET division = 'Divisi Perencanaan, Data dan Informasi' WHERE role = 'komisioner'")


def downgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_column('division')
    with op.batch_alter_table('lkj_reports', schema=None) as batch_op:
        batch_op.drop_column('hardcopy_location')
        batch_op.drop_column('letter_subject')
    with op.batch_alter_table('lkj_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lkj_files_report_id'))
    op.drop_table('lkj_files')

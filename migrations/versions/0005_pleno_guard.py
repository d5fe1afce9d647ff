"""The pleno's guard: a packet finalized with open units or missing entries records why and what; a correction
pleno supersedes a final version; the satker's kop surat (telephone, e-mail, website, logo)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('satker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('website', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('logo_key', sa.String(length=200), nullable=True))
    with op.batch_alter_table('packets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incomplete_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('incomplete_detail', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('supersedes_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('correction_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('packets', schema=None) as batch_op:
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('correction_reason')
        batch_op.drop_column('supersedes_version')
        batch_op.drop_column('incomplete_detail')
        batch_op.drop_column('incomplete_reason')
    with op.batch_alter_table('satker', schema=None) as batch_op:
        batch_op.drop_column('logo_key')
        batch_op.drop_column('website')
        batch_op.drop_column('email')
        batch_op.drop_column('phone')

"""Field history stamps of device ids up to 64 characters

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:40:00.000000

A stamp is 22 characters of wall time and counter plus the device id, which a
sync request may make 64 characters long, so the column holds 86.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('field_history', schema=None) as batch_op:
        batch_op.alter_column(
            'hlc',
            existing_type=sa.String(length=64),
            type_=sa.String(length=86),
            existing_nullable=True,
        )


def downgrade():
    with op.batch_alter_table('field_history', schema=None) as batch_op:
        batch_op.alter_column(
            'hlc',
            existing_type=sa.String(length=86),
            type_=sa.String(length=64),
            existing_nullable=True,
        )

"""feedback SLA rules: append-only versions per category (and optionally agency), seeded with
the catalogue's per-category working days as they stood (valid from 2000-01-01)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 15:40:00
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The reference catalogue's values when this revision was written (ioc.feedback.sla.seed_rules
# gives the same rows; a test compares them). Written out: a migration must not change with
# later code.
SEED = (("môi trường", 3.0), ("giao thông", 3.0), ("trật tự đô thị", 3.0), ("đất đai", 10.0),
        ("điện nước", 2.0), ("an ninh trật tự", 2.0), ("y tế", 3.0), ("giáo dục", 3.0),
        ("thủ tục hành chính", 5.0), ("khác", 3.0))


def upgrade() -> None:
    table = op.create_table('feedback_sla_rules',
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('agency_code', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.Column('days', sa.Float(), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('category', 'agency_code', 'valid_from', 'set_at')
    )
    start = datetime(2000, 1, 1)
    op.bulk_insert(table, [
        {"category": c, "agency_code": "", "valid_from": start, "set_at": start, "days": d,
         "set_by": "catalogue",
         "reason": "giá trị ban đầu từ danh mục · initial value from the catalogue"}
        for c, d in SEED])


def downgrade() -> None:
    op.drop_table('feedback_sla_rules')

"""deadline reminders for dossiers and feedback, in the alert lifecycle (replaces
dossier_reminders; its rows are kept, unsent ones are sent again in an episode)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deadline_reminders',
    sa.Column('stream', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('province_code', sa.String(length=8), nullable=False),
    sa.Column('agency_code', sa.String(length=64), nullable=False),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.Column('alert_id', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('stream', 'item_id', 'kind', 'due_at')
    )
    with op.batch_alter_table('deadline_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_reminders_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_reminders_sent_at'), ['sent_at'], unique=False)
    op.execute(
        "INSERT INTO deadline_reminders (stream, item_id, kind, due_at, province_code, "
        "agency_code, detected_at, alert_id, sent_at) SELECT 'dossier', dossier_id, kind, "
        "due_at, province_code, agency_code, detected_at, NULL, sent_at "
        "FROM dossier_reminders")
    with op.batch_alter_table('dossier_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_reminders_alert_id'))
    op.drop_table('dossier_reminders')


def downgrade() -> None:
    op.create_table('dossier_reminders',
    sa.Column('dossier_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('province_code', sa.String(length=8), nullable=False),
    sa.Column('agency_code', sa.String(length=64), nullable=False),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.Column('alert_id', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('dossier_id', 'kind', 'due_at')
    )
    with op.batch_alter_table('dossier_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_reminders_alert_id'), ['alert_id'], unique=False)
    op.execute(
        "INSERT INTO dossier_reminders (dossier_id, kind, due_at, province_code, agency_code, "
        "detected_at, alert_id, sent_at) SELECT item_id, kind, due_at, province_code, "
        "agency_code, detected_at, alert_id, sent_at FROM deadline_reminders "
        "WHERE stream = 'dossier'")
    with op.batch_alter_table('deadline_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_reminders_sent_at'))
        batch_op.drop_index(batch_op.f('ix_deadline_reminders_alert_id'))
    op.drop_table('deadline_reminders')

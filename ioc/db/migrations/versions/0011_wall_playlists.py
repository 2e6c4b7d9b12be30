"""wall-screen playlists (items as JSON, kiosk token as SHA-256) and their audit trail

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 15:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wall_playlists',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('interrupt_on_critical', sa.Boolean(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('playlist_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_playlist_audit_name'), 'playlist_audit', ['name'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_playlist_audit_name'), table_name='playlist_audit')
    op.drop_table('playlist_audit')
    op.drop_table('wall_playlists')

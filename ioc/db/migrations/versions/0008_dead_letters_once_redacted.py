"""dead letters counted once and stored redacted: keyed by a stable `dead_id` (the original
topic, partition and offset under the cluster id for records the aggregator dead-letters;
source + hash of the original bytes for records a connector dead-letters), with the SHA-256
of the original bytes and an index on dead_at for the retention purge; entity `seq` as
BIGINT (the contract's int64)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dead_letters_v2',
    sa.Column('dead_id', sa.String(length=300), nullable=False),
    sa.Column('cluster_id', sa.String(length=100), nullable=True),
    sa.Column('original_topic', sa.String(length=200), nullable=True),
    sa.Column('original_partition', sa.Integer(), nullable=True),
    sa.Column('original_offset', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('payload', sa.LargeBinary(), nullable=True),
    sa.Column('payload_sha256', sa.String(length=64), nullable=True),
    sa.Column('dead_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('dead_id')
    )
    # Old rows were keyed by the dead-letter topic's own offset: keep them under that key
    # (their payloads were stored as received; the retention purge removes them in time).
    op.execute(
        "INSERT INTO dead_letters_v2 (dead_id, cluster_id, original_topic, reason, stage, "
        "source, payload, dead_at) SELECT cluster_id || '/ioc.dlq/' || "
        "CAST(\"partition\" AS VARCHAR(20)) || '/' || CAST(\"offset\" AS VARCHAR(30)), "
        "cluster_id, original_topic, reason, stage, source, payload, dead_at FROM dead_letters")
    op.drop_table('dead_letters')
    op.rename_table('dead_letters_v2', 'dead_letters')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dead_letters_dead_at'), ['dead_at'], unique=False)
    # The contract allows seq up to 2^63-1: store it as such (INTEGER overflowed on PostgreSQL).
    for table in ('dossiers', 'feedback'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('seq', existing_type=sa.Integer(), type_=sa.BigInteger(),
                                  existing_nullable=False)


def downgrade() -> None:
    for table in ('dossiers', 'feedback'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('seq', existing_type=sa.BigInteger(), type_=sa.Integer(),
                                  existing_nullable=False)
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letters_dead_at'))
    op.create_table('dead_letters_v1',
    sa.Column('cluster_id', sa.String(length=100), nullable=False),
    sa.Column('partition', sa.Integer(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('original_topic', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('payload', sa.LargeBinary(), nullable=True),
    sa.Column('dead_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('cluster_id', 'partition', 'offset')
    )
    # The old key has no room for connector dead letters (no offset): number them apart.
    op.execute(
        "INSERT INTO dead_letters_v1 (cluster_id, \"partition\", \"offset\", original_topic, "
        "reason, stage, source, payload, dead_at) SELECT COALESCE(cluster_id, dead_id), "
        "COALESCE(original_partition, -1), COALESCE(original_offset, -1), original_topic, "
        "reason, stage, source, payload, dead_at FROM dead_letters")
    op.drop_table('dead_letters')
    op.rename_table('dead_letters_v1', 'dead_letters')

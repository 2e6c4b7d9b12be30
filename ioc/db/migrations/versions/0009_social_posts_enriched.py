"""social posts enriched: redacted title/text, url, source, author_ref, engagement counts,
model score + label + model_version, operator-corrected label, primary topic, topics, places;
social_post_tags (terms, topics, places mentioned, one row per post and value); operator
label corrections (the audit of relabels)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('social_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('author_ref', sa.String(length=128), nullable=True))
        for c in ('likes', 'shares', 'comments', 'engagement'):
            batch_op.add_column(sa.Column(c, sa.BigInteger(), nullable=False,
                                          server_default='0'))
        batch_op.add_column(sa.Column('label', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('model_version', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('corrected_label', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('topic', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('topics', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('places', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_social_posts_published_at'), ['published_at'],
                              unique=False)
    # Rows stored before this revision: the label follows from the stored score (same cuts
    # as ioc.social.sentiment.label); their topic is unknown ('') since no text was kept.
    op.execute("UPDATE social_posts SET label = CASE WHEN sentiment <= -0.2 THEN 'negative' "
               "WHEN sentiment >= 0.2 THEN 'positive' ELSE 'neutral' END")
    op.create_table('social_post_tags',
    sa.Column('post_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('post_id', 'kind', 'value')
    )
    op.create_table('social_label_corrections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('post_id', sa.String(length=128), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('old_label', sa.String(length=8), nullable=False),
    sa.Column('new_label', sa.String(length=8), nullable=False),
    sa.Column('model_label', sa.String(length=8), nullable=True),
    sa.Column('model_version', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('social_label_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_label_corrections_post_id'), ['post_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('social_label_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_label_corrections_post_id'))
    op.drop_table('social_label_corrections')
    op.drop_table('social_post_tags')
    with op.batch_alter_table('social_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_posts_published_at'))
        for c in ('places', 'topics', 'topic', 'corrected_label', 'model_version', 'label',
                  'engagement', 'comments', 'shares', 'likes', 'author_ref', 'source', 'url',
                  'text', 'title'):
            batch_op.drop_column(c)

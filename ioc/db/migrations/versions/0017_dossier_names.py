"""dossier names table (issue 13): per (province_code, kind, code, name) the number of stored
dossiers carrying that code with that name (kind = agency_code or procedure_code), kept by
the aggregator in its transaction so the Dossiers pages read names without scanning the
dossiers; backfilled from the existing dossiers.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Frozen here: code column → name column of the dossiers.
NAMED = (("agency_code", "agency_name"), ("procedure_code", "procedure_name"))


def upgrade() -> None:
    op.create_table(
        "dossier_names",
        sa.Column("province_code", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("dossiers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("province_code", "kind", "code", "name"),
    )
    for code, name in NAMED:
        op.execute(
            f"INSERT INTO dossier_names (province_code, kind, code, name, dossiers) "
            f"SELECT province_code, '{code}', {code}, {name}, count(*) FROM dossiers "
            f"WHERE {code} <> '' AND {name} IS NOT NULL AND {name} <> '' "
            f"GROUP BY province_code, {code}, {name}")


def downgrade() -> None:
    op.drop_table("dossier_names")

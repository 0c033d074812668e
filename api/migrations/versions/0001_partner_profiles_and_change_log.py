"""partner profiles and change log

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_log_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partners",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("industries", sa.JSON(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("max_open_leads", sa.Integer(), nullable=False),
        sa.Column("profile_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_id"),
    )
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partners_tier"), ["tier"], unique=False)

    op.create_table(
        "partner_certifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=True),
        sa.Column("earned_at", sa.Date(), nullable=False),
        sa.Column("expires_at", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("partner_certifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_certifications_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_partner_certifications_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "partner_locations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("service_radius_km", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("partner_locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_locations_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_partner_locations_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "partner_skills",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "partner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner_id", "name"),
    )
    with op.batch_alter_table("partner_skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_skills_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_partner_skills_partner_id"), ["partner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_skills_partner_id"))
        batch_op.drop_index(batch_op.f("ix_partner_skills_name"))

    op.drop_table("partner_skills")
    with op.batch_alter_table("partner_locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_locations_partner_id"))
        batch_op.drop_index(batch_op.f("ix_partner_locations_country"))

    op.drop_table("partner_locations")
    with op.batch_alter_table("partner_certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_certifications_partner_id"))
        batch_op.drop_index(batch_op.f("ix_partner_certifications_name"))

    op.drop_table("partner_certifications")
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partners_tier"))

    op.drop_table("partners")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_log_partner_id"))

    op.drop_table("change_log")

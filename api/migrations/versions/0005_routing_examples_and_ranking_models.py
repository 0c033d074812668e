"""routing examples (features at routing time and their outcomes), ranking models, deal value

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "routing_examples",
        sa.Column("id", _ID, nullable=False),
        sa.Column("lead_id", _ID, nullable=False),
        sa.Column("partner_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered", sa.Boolean(), nullable=False),
        sa.Column("response", sa.String(length=10), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("deal_value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("routing_examples", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routing_examples_lead_partner", ["lead_id", "partner_id"], unique=True
        )
        batch_op.create_index("ix_routing_examples_routed_at", ["routed_at"], unique=False)

    op.create_table(
        "ranking_models",
        sa.Column("id", _ID, nullable=False),
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("training", sa.JSON(), nullable=False),
        sa.Column("evaluation", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    with op.batch_alter_table("ranking_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ranking_models_status"), ["status"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deal_value", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("deal_value")
    op.drop_table("ranking_models")
    op.drop_table("routing_examples")

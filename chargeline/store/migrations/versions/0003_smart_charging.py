"""central smart charging: sites, load-management tree, limits, prices, load, believed profiles, checks

Revision ID: 0003
Revises: 0002

Written by hand to match chargeline/store/smart_charging_schema.py (autogenerate only sees schema.py).
"""

import sqlalchemy as sa
from alembic import op

import chargeline.store.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time() -> chargeline.store.schema.UtcDateTime:
    return chargeline.store.schema.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("voltage", sa.Float(), nullable=False),
        sa.Column("margin", sa.Float(), nullable=False),
        sa.Column("min_current_a", sa.Float(), nullable=False),
        sa.Column("group_priorities", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "site_nodes",
        sa.Column("site_id", sa.String(length=48), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("limit_w", sa.Float(), nullable=True),
        sa.Column("limit_a", sa.Float(), nullable=True),
        sa.Column("phases", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("evses", sa.Integer(), nullable=True),
        sa.Column("evse_limit_a", sa.Float(), nullable=True),
        sa.Column("evse_limit_w", sa.Float(), nullable=True),
        sa.Column("dc", sa.Boolean(), nullable=False),
        sa.Column("first_phase", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_site_nodes_site_id_sites"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_site_nodes")),
    )
    op.create_index("ix_site_nodes_station", "site_nodes", ["station_id"], unique=False)
    op.create_table(
        "site_limits",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=48), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("starts_at", _time(), nullable=False),
        sa.Column("limit_w", sa.Float(), nullable=True),
        sa.Column("limit_a", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_site_limits_site_id_sites"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_limits")),
    )
    op.create_index("ix_site_limits_node", "site_limits", ["site_id", "node_id", "starts_at"], unique=False)
    op.create_table(
        "site_prices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=48), nullable=False),
        sa.Column("starts_at", _time(), nullable=False),
        sa.Column("ends_at", _time(), nullable=False),
        sa.Column("price_per_kwh", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_site_prices_site_id_sites"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_prices")),
    )
    op.create_index("ix_site_prices_site", "site_prices", ["site_id", "starts_at"], unique=False)
    op.create_table(
        "site_load",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=48), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("planned_w", sa.Float(), nullable=True),
        sa.Column("measured_w", sa.Float(), nullable=True),
        sa.Column("limit_w", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_site_load_site_id_sites"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_load")),
    )
    op.create_index("ix_site_load_site_at", "site_load", ["site_id", "at"], unique=False)
    op.create_table(
        "believed_profiles",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("stack_level", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("command_id", _ID, nullable=True),
        sa.Column("installed_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "profile_id", name=op.f("pk_believed_profiles")),
    )
    op.create_table(
        "profile_checks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("at", _time(), nullable=False),
        sa.Column("command_id", _ID, nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("expected", sa.JSON(), nullable=True),
        sa.Column("reported", sa.JSON(), nullable=True),
        sa.Column("differences", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_checks")),
    )
    op.create_index("ix_profile_checks_station", "profile_checks", ["station_id", "kind", "at"], unique=False)
    op.create_table(
        "station_support",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("strategy", sa.JSON(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_station_support")),
    )
    op.create_table(
        "charging_needs",
        sa.Column("transaction_id", _ID, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("energy_wh", sa.Float(), nullable=True),
        sa.Column("departure_at", _time(), nullable=True),
        sa.Column("min_current_a", sa.Float(), nullable=True),
        sa.Column("max_current_a", sa.Float(), nullable=True),
        sa.Column("max_power_w", sa.Float(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_charging_needs")),
    )


def downgrade() -> None:
    op.drop_table("charging_needs")
    op.drop_table("station_support")
    op.drop_index("ix_profile_checks_station", table_name="profile_checks")
    op.drop_table("profile_checks")
    op.drop_table("believed_profiles")
    op.drop_index("ix_site_load_site_at", table_name="site_load")
    op.drop_table("site_load")
    op.drop_index("ix_site_prices_site", table_name="site_prices")
    op.drop_table("site_prices")
    op.drop_index("ix_site_limits_node", table_name="site_limits")
    op.drop_table("site_limits")
    op.drop_index("ix_site_nodes_station", table_name="site_nodes")
    op.drop_table("site_nodes")
    op.drop_table("sites")

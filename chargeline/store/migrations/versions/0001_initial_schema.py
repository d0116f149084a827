"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import chargeline.store.schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "id_token_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expires_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_token_groups")),
    )
    op.create_table(
        "message_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("message_type", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=True),
        sa.Column("frame", sa.Text(), nullable=False),
        sa.Column("at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_log")),
    )
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.create_index("ix_message_log_message_id", ["station_id", "message_id"], unique=False)
        batch_op.create_index("ix_message_log_station_at", ["station_id", "at"], unique=False)

    op.create_table(
        "stations",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("display_id", sa.String(length=48), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("security_profile", sa.Integer(), nullable=False),
        sa.Column("boot_policy", sa.String(length=10), nullable=False),
        sa.Column("boot_status", sa.String(length=10), nullable=True),
        sa.Column("lenient", sa.Boolean(), nullable=False),
        sa.Column("ocpp_version", sa.String(length=12), nullable=True),
        sa.Column("vendor", sa.String(length=50), nullable=True),
        sa.Column("model", sa.String(length=50), nullable=True),
        sa.Column("serial_number", sa.String(length=50), nullable=True),
        sa.Column("charge_box_serial", sa.String(length=50), nullable=True),
        sa.Column("firmware_version", sa.String(length=50), nullable=True),
        sa.Column("modem_iccid", sa.String(length=25), nullable=True),
        sa.Column("modem_imsi", sa.String(length=25), nullable=True),
        sa.Column("meter_type", sa.String(length=25), nullable=True),
        sa.Column("meter_serial", sa.String(length=25), nullable=True),
        sa.Column("heartbeat_interval", sa.Integer(), nullable=True),
        sa.Column("last_boot_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_connected_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_disconnected_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("clock_skew_s", sa.Float(), nullable=True),
        sa.Column("created_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
    )
    op.create_table(
        "boots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("ocpp_version", sa.String(length=12), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_boots_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boots")),
    )
    with op.batch_alter_table("boots", schema=None) as batch_op:
        batch_op.create_index("ix_boots_station", ["station_id", "received_at"], unique=False)

    op.create_table(
        "connectors",
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("info", sa.String(length=500), nullable=True),
        sa.Column("vendor_id", sa.String(length=255), nullable=True),
        sa.Column("vendor_error_code", sa.String(length=50), nullable=True),
        sa.Column("station_time", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_connectors_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("station_id", "evse_id", "connector_id", name=op.f("pk_connectors")),
    )
    op.create_table(
        "id_tokens",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("id_token", sa.String(length=255), nullable=False),
        sa.Column("token_type", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expires_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("created_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["id_token_groups.id"],
            name=op.f("fk_id_tokens_group_id_id_token_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_id_tokens")),
    )
    op.create_table(
        "security_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("timestamp", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("tech_info", sa.String(length=255), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_security_events_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_security_events_dedupe_key")),
    )
    op.create_table(
        "station_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_station_notifications_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_station_notifications_dedupe_key")),
    )
    with op.batch_alter_table("station_notifications", schema=None) as batch_op:
        batch_op.create_index("ix_station_notifications_station", ["station_id", "action", "received_at"], unique=False)

    op.create_table(
        "status_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("info", sa.String(length=500), nullable=True),
        sa.Column("station_time", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_status_history_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_history")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_status_history_dedupe_key")),
    )
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.create_index("ix_status_history_station", ["station_id", "received_at"], unique=False)

    op.create_table(
        "transaction_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("station_tx_id", sa.String(length=64), nullable=False),
        sa.Column("seq_no", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=10), nullable=False),
        sa.Column("trigger_reason", sa.String(length=40), nullable=False),
        sa.Column("timestamp", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_transaction_events_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_events")),
        sa.UniqueConstraint(
            "station_id", "station_tx_id", "seq_no", name=op.f("uq_transaction_events_station_id_station_tx_id_seq_no")
        ),
    )
    op.create_table(
        "transactions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("station_tx_id", sa.String(length=64), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("id_token", sa.String(length=255), nullable=True),
        sa.Column("id_token_type", sa.String(length=20), nullable=True),
        sa.Column("stop_id_token", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("start_received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("stop_received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("meter_start_wh", sa.Float(), nullable=True),
        sa.Column("meter_stop_wh", sa.Float(), nullable=True),
        sa.Column("energy_wh", sa.Float(), nullable=True),
        sa.Column("energy_flags", sa.String(length=200), nullable=True),
        sa.Column("stop_reason", sa.String(length=40), nullable=True),
        sa.Column("stopped_by", sa.String(length=100), nullable=True),
        sa.Column("charging_state", sa.String(length=20), nullable=True),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("remote_start_id", sa.Integer(), nullable=True),
        sa.Column("last_seq_no", sa.Integer(), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("reconciled", sa.Boolean(), nullable=False),
        sa.Column("start_key", sa.String(length=64), nullable=True),
        sa.Column("stop_key", sa.String(length=64), nullable=True),
        sa.Column("start_response", sa.JSON(), nullable=True),
        sa.Column("stop_response", sa.JSON(), nullable=True),
        sa.Column("clock_skew_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_transactions_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("start_key", name=op.f("uq_transactions_start_key")),
        sa.UniqueConstraint("station_id", "station_tx_id", name=op.f("uq_transactions_station_id_station_tx_id")),
        sa.UniqueConstraint("stop_key", name=op.f("uq_transactions_stop_key")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index("ix_transactions_station_status", ["station_id", "status"], unique=False)

    op.create_table(
        "meter_values",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=48), nullable=False),
        sa.Column("transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("timestamp", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", chargeline.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("measurand", sa.String(length=50), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=True),
        sa.Column("location", sa.String(length=10), nullable=True),
        sa.Column("context", sa.String(length=30), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("raw_value", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("signed_data", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_meter_values_station_id_stations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_meter_values_transaction_id_transactions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_values")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_meter_values_dedupe_key")),
    )
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.create_index("ix_meter_values_station", ["station_id", "timestamp"], unique=False)
        batch_op.create_index("ix_meter_values_tx", ["transaction_id", "timestamp"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.drop_index("ix_meter_values_tx")
        batch_op.drop_index("ix_meter_values_station")

    op.drop_table("meter_values")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_station_status")

    op.drop_table("transactions")
    op.drop_table("transaction_events")
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.drop_index("ix_status_history_station")

    op.drop_table("status_history")
    with op.batch_alter_table("station_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_station_notifications_station")

    op.drop_table("station_notifications")
    op.drop_table("security_events")
    op.drop_table("id_tokens")
    op.drop_table("connectors")
    with op.batch_alter_table("boots", schema=None) as batch_op:
        batch_op.drop_index("ix_boots_station")

    op.drop_table("boots")
    op.drop_table("stations")
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.drop_index("ix_message_log_station_at")
        batch_op.drop_index("ix_message_log_message_id")

    op.drop_table("message_log")
    op.drop_table("id_token_groups")

"""The relational schema (SQLAlchemy Core). Migrations in `migrations/` create it.

Times are stored as timezone-aware UTC. Each message that changes state carries a unique
business key (`*_key` columns) so that a retried or replayed message is applied once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """DateTime that always comes back timezone-aware UTC (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; Chargeline keeps UTC-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id() -> Column[int]:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


def _station_fk() -> Column[str]:
    return Column("station_id", String(48), ForeignKey("stations.id", ondelete="CASCADE"), nullable=False)


stations = Table(
    "stations", metadata,
    Column("id", String(48), primary_key=True),  # casefolded identity: identifierString is case-insensitive
    Column("display_id", String(48), nullable=False),
    Column("password_hash", String(200)),
    Column("security_profile", Integer, nullable=False, default=1),
    Column("boot_policy", String(10), nullable=False, default="Accepted"),  # answer to BootNotification
    Column("boot_status", String(10)),  # the answer we last gave; survives restarts
    Column("lenient", Boolean, nullable=False, default=False),
    Column("ocpp_version", String(12)),
    Column("vendor", String(50)),
    Column("model", String(50)),
    Column("serial_number", String(50)),
    Column("charge_box_serial", String(50)),
    Column("firmware_version", String(50)),
    Column("modem_iccid", String(25)),
    Column("modem_imsi", String(25)),
    Column("meter_type", String(25)),
    Column("meter_serial", String(25)),
    Column("heartbeat_interval", Integer),
    Column("last_boot_at", UtcDateTime),
    Column("last_seen_at", UtcDateTime),
    Column("last_connected_at", UtcDateTime),
    Column("last_disconnected_at", UtcDateTime),
    Column("clock_skew_s", Float),
    Column("created_at", UtcDateTime, nullable=False),
)

boots = Table(
    "boots", metadata, _id(), _station_fk(),
    Column("received_at", UtcDateTime, nullable=False),
    Column("reason", String(30)),
    Column("status", String(10), nullable=False),
    Column("ocpp_version", String(12), nullable=False),
    Column("payload", JSON, nullable=False),
    Index("ix_boots_station", "station_id", "received_at"),
)

connectors = Table(
    "connectors", metadata, _station_fk(),
    Column("evse_id", Integer, nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("error_code", String(50)),
    Column("info", String(500)),
    Column("vendor_id", String(255)),
    Column("vendor_error_code", String(50)),
    Column("station_time", UtcDateTime),
    Column("received_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("station_id", "evse_id", "connector_id"),
)

status_history = Table(
    "status_history", metadata, _id(), _station_fk(),
    Column("evse_id", Integer, nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("error_code", String(50)),
    Column("info", String(500)),
    Column("station_time", UtcDateTime),
    Column("received_at", UtcDateTime, nullable=False),
    Column("dedupe_key", String(64), nullable=False, unique=True),
    Index("ix_status_history_station", "station_id", "received_at"),
)

id_token_groups = Table(
    "id_token_groups", metadata,
    Column("id", String(36), primary_key=True),  # casefolded
    Column("name", String(36), nullable=False),
    Column("status", String(20), nullable=False, default="Accepted"),
    Column("expires_at", UtcDateTime),
)

id_tokens = Table(
    "id_tokens", metadata,
    Column("key", String(300), primary_key=True),  # casefolded token value
    Column("id_token", String(255), nullable=False),
    Column("token_type", String(20)),  # 2.x IdTokenEnumType, None = any
    Column("status", String(20), nullable=False, default="Accepted"),
    Column("expires_at", UtcDateTime),
    Column("group_id", String(36), ForeignKey("id_token_groups.id", ondelete="SET NULL")),
    Column("language", String(8)),
    Column("created_at", UtcDateTime, nullable=False),
)

transactions = Table(
    "transactions", metadata, _id(), _station_fk(),
    Column("station_tx_id", String(64)),  # 2.x transactionId; 1.6 uses our id
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("id_token", String(255)),
    Column("id_token_type", String(20)),
    Column("stop_id_token", String(255)),
    Column("status", String(10), nullable=False),  # active | ended
    Column("started_at", UtcDateTime),
    Column("start_received_at", UtcDateTime),
    Column("stopped_at", UtcDateTime),
    Column("stop_received_at", UtcDateTime),
    Column("meter_start_wh", Float),
    Column("meter_stop_wh", Float),
    Column("energy_wh", Float),
    Column("energy_flags", String(200)),
    Column("stop_reason", String(40)),
    Column("stopped_by", String(100)),
    Column("charging_state", String(20)),
    Column("reservation_id", Integer),
    Column("remote_start_id", Integer),
    Column("last_seq_no", Integer),
    Column("offline", Boolean, nullable=False, default=False),
    Column("reconciled", Boolean, nullable=False, default=False),  # created from a Stop/Update without Start
    Column("start_key", String(64), unique=True),
    Column("stop_key", String(64), unique=True),
    Column("start_response", JSON),
    Column("stop_response", JSON),
    Column("clock_skew_s", Float),
    UniqueConstraint("station_id", "station_tx_id"),
    Index("ix_transactions_station_status", "station_id", "status"),
)

transaction_events = Table(
    "transaction_events", metadata, _id(), _station_fk(),
    Column("station_tx_id", String(64), nullable=False),
    Column("seq_no", Integer, nullable=False),
    Column("event_type", String(10), nullable=False),
    Column("trigger_reason", String(40), nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("offline", Boolean, nullable=False, default=False),
    Column("payload", JSON, nullable=False),
    Column("response", JSON, nullable=False),
    UniqueConstraint("station_id", "station_tx_id", "seq_no"),
)

meter_values = Table(
    "meter_values", metadata, _id(), _station_fk(),
    Column("transaction_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("transactions.id", ondelete="SET NULL")),
    Column("evse_id", Integer),
    Column("connector_id", Integer),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("measurand", String(50), nullable=False),
    Column("phase", String(10)),
    Column("location", String(10)),
    Column("context", String(30)),
    Column("unit", String(20)),
    Column("raw_value", String(60), nullable=False),
    Column("value", Float),  # normalised: Wh, W, A, V, % ...
    Column("signed_data", Text),
    # what the sample is within its station and timestamp: evse|connector|measurand|phase|location|context|value
    Column("dedupe_key", String(255), nullable=False),
    # Time first: a batch's new samples land on the last pages of the index, where a random hash
    # (or the station first) dirtied a page per row (per station) in every commit.
    UniqueConstraint("timestamp", "station_id", "dedupe_key"),
    # a session's samples are read whole and ordered after the read: the narrow key is half the
    # index work of every insert (see migration 0006)
    Index("ix_meter_values_tx", "transaction_id"),
)

security_events = Table(
    "security_events", metadata, _id(), _station_fk(),
    Column("event_type", String(50), nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("tech_info", String(255)),
    Column("critical", Boolean, nullable=False),
    Column("dedupe_key", String(64), nullable=False, unique=True),
)

station_notifications = Table(
    "station_notifications", metadata, _id(), _station_fk(),
    Column("action", String(50), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("response", JSON),
    Column("request_id", Integer),  # requestId where the message has one (reports, logs, firmware)
    Column("received_at", UtcDateTime, nullable=False),
    Column("dedupe_key", String(64), nullable=False, unique=True),
    Index("ix_station_notifications_station", "station_id", "action", "received_at"),
)

message_log = Table(
    "message_log", metadata, _id(),
    Column("station_id", String(48), nullable=False),
    Column("direction", String(3), nullable=False),  # in | out
    Column("message_type", Integer),
    Column("message_id", String(36)),
    Column("action", String(50)),
    Column("frame", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # the only index: a message id is found within a station's time window (see the messages API)
    Index("ix_message_log_station_at", "station_id", "at"),
)

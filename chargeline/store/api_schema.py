"""Tables of the operator side: API keys, the audit log, commands sent to stations, webhooks.

They live on the same `metadata` as the station tables (one schema, one migration history) but in
their own module, so the OCPP storage schema stays readable. Revision 0002 creates them.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from chargeline.store.schema import UtcDateTime, metadata


def _id() -> Column[int]:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


api_keys = Table(
    "api_keys", metadata, _id(),
    Column("name", String(100), nullable=False),
    Column("role", String(10), nullable=False),  # admin | operator | viewer
    Column("prefix", String(16), nullable=False, unique=True),  # public part of the key, for lookup and display
    Column("key_hash", String(64), nullable=False),  # sha256 of the whole key; the key itself is never stored
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(120)),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

audit_log = Table(
    "audit_log", metadata, _id(),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(120), nullable=False),  # "key:<id>:<name>", "anonymous", "cli", "system"
    Column("role", String(10)),
    Column("remote", String(64)),
    Column("method", String(10), nullable=False),
    Column("route", String(200), nullable=False),  # the route template, never a raw path with a token in it
    Column("action", String(100), nullable=False),  # e.g. stations.create, commands.reset
    Column("target", String(200)),
    Column("params", JSON),  # secrets redacted
    Column("status_code", Integer, nullable=False),
    Column("result", String(200)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),  # chains every row to the one before it
    Index("ix_audit_log_at", "at"),
)

commands = Table(
    "commands", metadata, _id(),  # the id doubles as the OCPP requestId / remoteStartId
    Column("station_id", String(48), nullable=False),  # no FK: the record outlives a deleted station
    Column("operation", String(50), nullable=False),
    Column("action", String(50), nullable=False),
    Column("ocpp_version", String(12), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("request", JSON, nullable=False),  # the version-neutral request, secrets redacted
    Column("payload", JSON, nullable=False),  # what was sent, secrets redacted
    Column("status", String(20), nullable=False),  # queued | sent | completed | failed | timeout | ...
    Column("outcome", String(40)),  # the station's answer status (Accepted, Rejected, ...)
    Column("response", JSON),
    Column("error_code", String(50)),
    Column("error_description", String(500)),
    Column("message_id", String(36)),
    Column("timeout_s", Float, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("completed_at", UtcDateTime),
    Index("ix_commands_station", "station_id", "created_at"),
    Index("ix_commands_status", "status"),
)

webhooks = Table(
    "webhooks", metadata, _id(),
    Column("url", String(2000), nullable=False),
    Column("description", String(200)),
    Column("event_types", JSON, nullable=False),  # [] = every type
    Column("station_ids", JSON, nullable=False),  # [] = every station (casefolded keys)
    Column("secret", String(100), nullable=False),  # HMAC key; shown once at creation, never returned again
    Column("active", Boolean, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(120)),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata, _id(),
    Column("webhook_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("webhooks.id", ondelete="CASCADE"),
           nullable=False),
    Column("event_type", String(50), nullable=False),
    Column("station_id", String(48)),
    Column("body", Text, nullable=False),  # the exact bytes signed and sent (UTF-8 JSON)
    Column("status", String(12), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Index("ix_webhook_deliveries_hook", "webhook_id", "created_at"),
    Index("ix_webhook_deliveries_pending", "status", "next_attempt_at"),
)

webhook_attempts = Table(
    "webhook_attempts", metadata, _id(),
    Column("delivery_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("status_code", Integer),
    Column("error", String(500)),
    Column("duration_ms", Float, nullable=False),
    Index("ix_webhook_attempts_delivery", "delivery_id", "attempt"),
)

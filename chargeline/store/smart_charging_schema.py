"""Tables of central smart charging: sites and their load-management tree, limit and price schedules,
the charging profiles the CSMS believes each station holds, verification results, what each station
accepts, EV charging needs and the site load over time.

They live on the shared `metadata` (one schema, one migration history) in their own module, like
the operator tables of `api_schema.py`. Revision 0003 creates them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from chargeline.store.schema import UtcDateTime, metadata


def _id() -> Column[int]:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


sites = Table(
    "sites", metadata,
    Column("id", String(48), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("voltage", Float, nullable=False, default=230.0),  # nominal phase voltage for A <-> W
    Column("margin", Float, nullable=False, default=0.0),  # fraction of every limit kept free
    Column("min_current_a", Float, nullable=False, default=6.0),  # the EV minimum (IEC 61851)
    Column("group_priorities", JSON, nullable=False, default=dict),  # id token group -> priority
    Column("source", String(10), nullable=False, default="api"),  # api | config
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The load-management tree: one `grid` node per site (its limit is the site's), circuits/feeders,
# stations and EVSEs. `limit_a` is per phase.
site_nodes = Table(
    "site_nodes", metadata,
    Column("site_id", String(48), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("id", String(64), nullable=False),
    Column("parent_id", String(64)),
    Column("kind", String(10), nullable=False),  # grid | circuit | station | evse
    Column("name", String(100)),
    Column("limit_w", Float),
    Column("limit_a", Float),
    Column("phases", Integer, nullable=False, default=3),
    Column("station_id", String(48)),  # casefolded station key (station and evse nodes)
    Column("evse_id", Integer),  # evse nodes
    Column("evses", Integer),  # station nodes: EVSE count when no evse nodes are given
    Column("evse_limit_a", Float),  # station nodes: rating of each EVSE without an evse node
    Column("evse_limit_w", Float),
    Column("dc", Boolean, nullable=False, default=False),
    Column("first_phase", Integer, nullable=False, default=1),  # site phase wired to the EVSE's L1
    PrimaryKeyConstraint("site_id", "id"),
    Index("ix_site_nodes_station", "station_id"),
)

# External limits over time (grid operator, EMS): from `start` on, the node may not exceed the value
# (both values None = the external limit is released). The static node limit still applies.
site_limits = Table(
    "site_limits", metadata, _id(),
    Column("site_id", String(48), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("node_id", String(64), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("limit_w", Float),
    Column("limit_a", Float),
    Column("source", String(40), nullable=False, default="api"),
    Index("ix_site_limits_node", "site_id", "node_id", "starts_at"),
)

site_prices = Table(
    "site_prices", metadata, _id(),
    Column("site_id", String(48), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("price_per_kwh", Float, nullable=False),
    Index("ix_site_prices_site", "site_id", "starts_at"),
)

# Planned (what we allowed), measured (what the meters said) and the limit, sampled over time.
site_load = Table(
    "site_load", metadata, _id(),
    Column("site_id", String(48), ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("planned_w", Float),
    Column("measured_w", Float),
    Column("limit_w", Float),
    Index("ix_site_load_site_at", "site_id", "at"),
)

# The charging profiles as the CSMS believes the station holds them (what it accepted from us or
# reported itself); profile JSON in the OCPP 2.1 shape, whatever the station's version.
believed_profiles = Table(
    "believed_profiles", metadata,
    Column("station_id", String(48), nullable=False),  # casefolded key; no FK, like `commands`
    Column("profile_id", Integer, nullable=False),
    Column("evse_id", Integer, nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("stack_level", Integer, nullable=False),
    Column("transaction_id", String(64)),
    Column("profile", JSON, nullable=False),
    Column("source", String(40), nullable=False),  # smart-charging | api actor | station:<limit source>
    Column("command_id", BigInteger().with_variant(Integer, "sqlite")),
    Column("installed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("station_id", "profile_id"),
)

# Each comparison of what a station reports (GetChargingProfiles, GetCompositeSchedule) with our belief.
profile_checks = Table(
    "profile_checks", metadata, _id(),
    Column("station_id", String(48), nullable=False),
    Column("kind", String(10), nullable=False),  # profiles | composite
    Column("evse_id", Integer),
    Column("at", UtcDateTime, nullable=False),
    Column("command_id", BigInteger().with_variant(Integer, "sqlite")),
    Column("ok", Boolean, nullable=False),
    Column("expected", JSON),
    Column("reported", JSON),
    Column("differences", JSON, nullable=False),
    Index("ix_profile_checks_station", "station_id", "kind", "at"),
)

# What each station accepted and rejected, and the way of controlling it chosen from that (FIELD-NOTES).
station_support = Table(
    "station_support", metadata,
    Column("station_id", String(48), primary_key=True),
    Column("strategy", JSON, nullable=False),
    Column("outcomes", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Energy need and departure of a session (NotifyEVChargingNeeds or the API), and its priority.
charging_needs = Table(
    "charging_needs", metadata,
    Column("transaction_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),  # transactions.id
    Column("station_id", String(48), nullable=False),
    Column("evse_id", Integer),
    Column("energy_wh", Float),
    Column("departure_at", UtcDateTime),
    Column("min_current_a", Float),
    Column("max_current_a", Float),
    Column("max_power_w", Float),
    Column("priority", Integer),
    Column("source", String(40), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

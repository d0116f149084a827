"""Reading and writing the smart-charging tables (plain functions of a SQLAlchemy `Connection`).

Writes run on the CSMS's group-commit writer, reads on the asyncio engine. Station ids are kept
as given in `site_nodes` (for display) and casefolded wherever they are looked up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, desc, select, update
from sqlalchemy.engine import Connection

from chargeline.csms.smart_charging.topology import KINDS, LimitEntry, Node, PriceEntry, Site
from chargeline.gateway.identity import station_key
from chargeline.store.schema import id_tokens, stations, transactions
from chargeline.store.smart_charging_schema import (
    believed_profiles,
    charging_needs,
    profile_checks,
    site_limits,
    site_load,
    site_nodes,
    site_prices,
    sites,
    station_support,
)

NODE_FIELDS = ("parent_id", "kind", "name", "limit_w", "limit_a", "phases", "station_id", "evse_id", "evses",
               "evse_limit_a", "evse_limit_w", "dc", "first_phase")
LIMIT_HISTORY = timedelta(days=7)  # external limits that ended longer ago than this are not loaded
PRICE_HISTORY = timedelta(days=2)


def _node(row: Any, keyed: bool) -> Node:
    station = row.station_id
    return Node(row.id, row.kind, row.parent_id, row.name, row.limit_w, row.limit_a, row.phases,
                station_key(station) if keyed and station else station, row.evse_id, row.evses, row.evse_limit_a,
                row.evse_limit_w, bool(row.dc), row.first_phase)


def load_sites(conn: Connection, now: datetime, keyed: bool = True, site_id: str | None = None) -> list[Site]:
    """Sites with their nodes, limit schedules and prices.

    `keyed`: the loop's view (station ids casefolded; limits and prices from a little while ago on)
    or the API's (station ids as entered, the whole stored history).
    """
    query = select(sites).order_by(sites.c.id)
    if site_id is not None:
        query = query.where(sites.c.id == site_id)
    out = []
    for row in conn.execute(query).all():
        nodes = tuple(sorted((_node(n, keyed) for n in conn.execute(
            select(site_nodes).where(site_nodes.c.site_id == row.id)).all()),
            key=lambda n: (KINDS.index(n.kind) if n.kind in KINDS else len(KINDS), n.id)))
        limits = tuple(LimitEntry(r.node_id, r.starts_at, r.limit_w, r.limit_a, r.source) for r in conn.execute(
            select(site_limits).where(site_limits.c.site_id == row.id).order_by(site_limits.c.starts_at,
                                                                                 site_limits.c.id)).all())
        price_query = select(site_prices).where(site_prices.c.site_id == row.id).order_by(site_prices.c.starts_at)
        if keyed:
            limits = _recent_limits(limits, now)
            price_query = price_query.where(site_prices.c.ends_at > now - PRICE_HISTORY)
        prices = tuple(PriceEntry(r.starts_at, r.ends_at, r.price_per_kwh) for r in conn.execute(price_query).all())
        out.append(Site(row.id, row.name, nodes, row.voltage, row.margin, row.min_current_a,
                        dict(row.group_priorities or {}), limits, prices, row.source))
    return out


def _recent_limits(limits: Sequence[LimitEntry], now: datetime) -> tuple[LimitEntry, ...]:
    """Entries still in force or to come, plus the history of the last week."""
    latest_before: dict[str, LimitEntry] = {}
    for entry in limits:
        if entry.start <= now:
            latest_before[entry.node_id] = entry
    return tuple(e for e in limits if e.start > now - LIMIT_HISTORY or latest_before.get(e.node_id) is e)


def site_exists(conn: Connection, site_id: str) -> bool:
    return conn.execute(select(sites.c.id).where(sites.c.id == site_id)).first() is not None


def save_site(conn: Connection, site: Site, now: datetime, station_ids: dict[str, str] | None = None) -> None:
    """Create or update a site and replace its nodes (limits and prices are kept)."""
    values = {"name": site.name, "voltage": site.voltage, "margin": site.margin, "min_current_a": site.min_current_a,
              "group_priorities": dict(site.group_priorities), "source": site.source, "updated_at": now}
    if site_exists(conn, site.id):
        conn.execute(update(sites).where(sites.c.id == site.id).values(**values))
    else:
        conn.execute(sites.insert().values(id=site.id, created_at=now, **values))
    conn.execute(delete(site_nodes).where(site_nodes.c.site_id == site.id))
    rows = []
    for node in site.nodes:
        row = {name: getattr(node, name) for name in NODE_FIELDS}
        if node.station_id and station_ids:
            row["station_id"] = station_ids.get(station_key(node.station_id), node.station_id)
        rows.append({"site_id": site.id, "id": node.id, **row})
    if rows:
        conn.execute(site_nodes.insert(), rows)
    known = {n.id for n in site.nodes}
    conn.execute(delete(site_limits).where(and_(site_limits.c.site_id == site.id,
                                                site_limits.c.node_id.not_in(known))))


def delete_site(conn: Connection, site_id: str) -> bool:
    for table in (site_nodes, site_limits, site_prices, site_load):
        conn.execute(delete(table).where(table.c.site_id == site_id))
    return bool(conn.execute(delete(sites).where(sites.c.id == site_id)).rowcount)


def replace_limits(conn: Connection, site_id: str, node_id: str, entries: Iterable[LimitEntry]) -> None:
    conn.execute(delete(site_limits).where(and_(site_limits.c.site_id == site_id, site_limits.c.node_id == node_id)))
    rows = [{"site_id": site_id, "node_id": node_id, "starts_at": e.start, "limit_w": e.limit_w,
             "limit_a": e.limit_a, "source": e.source[:40]} for e in entries]
    if rows:
        conn.execute(site_limits.insert(), rows)


def replace_prices(conn: Connection, site_id: str, entries: Iterable[PriceEntry]) -> None:
    conn.execute(delete(site_prices).where(site_prices.c.site_id == site_id))
    rows = [{"site_id": site_id, "starts_at": p.start, "ends_at": p.end, "price_per_kwh": p.price_per_kwh}
            for p in entries]
    if rows:
        conn.execute(site_prices.insert(), rows)


def station_display_ids(conn: Connection) -> dict[str, str]:
    return {r.id: r.display_id for r in conn.execute(select(stations.c.id, stations.c.display_id)).all()}


# --- live state ----------------------------------------------------------------------------

def load_believed(conn: Connection) -> list[Any]:
    return list(conn.execute(select(believed_profiles)).all())


def load_support(conn: Connection) -> list[Any]:
    return list(conn.execute(select(station_support)).all())


def save_support(conn: Connection, station_id: str, strategy: dict[str, Any], outcomes: dict[str, Any],
                 now: datetime) -> None:
    values = {"strategy": strategy, "outcomes": outcomes, "updated_at": now}
    done = conn.execute(update(station_support).where(station_support.c.station_id == station_id).values(**values))
    if not done.rowcount:
        conn.execute(station_support.insert().values(station_id=station_id, **values))


def load_needs(conn: Connection) -> list[Any]:
    return list(conn.execute(select(charging_needs)).all())


def save_needs(conn: Connection, transaction_id: int, values: dict[str, Any]) -> None:
    done = conn.execute(update(charging_needs).where(charging_needs.c.transaction_id == transaction_id)
                        .values(**values))
    if not done.rowcount:
        conn.execute(charging_needs.insert().values(transaction_id=transaction_id, **values))


def active_transactions(conn: Connection, station_ids: Iterable[str]) -> list[Any]:
    keys = list(station_ids)
    if not keys:
        return []
    return list(conn.execute(
        select(transactions.c.id, transactions.c.station_id, transactions.c.evse_id, transactions.c.station_tx_id,
               transactions.c.started_at, transactions.c.id_token, transactions.c.meter_start_wh,
               stations.c.ocpp_version)
        .join(stations, stations.c.id == transactions.c.station_id)
        .where(and_(transactions.c.status == "active", transactions.c.evse_id.is_not(None),
                    transactions.c.station_id.in_(keys)))).all())


def transaction_row(conn: Connection, transaction_id: int) -> Any:
    return conn.execute(
        select(transactions.c.id, transactions.c.station_id, transactions.c.evse_id, transactions.c.station_tx_id,
               transactions.c.started_at, transactions.c.id_token, transactions.c.meter_start_wh,
               transactions.c.status, stations.c.ocpp_version)
        .join(stations, stations.c.id == transactions.c.station_id)
        .where(transactions.c.id == transaction_id)).first()


def token_group(conn: Connection, id_token: str | None) -> str | None:
    if not id_token:
        return None
    return conn.execute(select(id_tokens.c.group_id).where(id_tokens.c.key == id_token.casefold())).scalar()


# --- history and checks --------------------------------------------------------------------

def insert_load(conn: Connection, site_id: str, at: datetime, planned: float | None, measured: float | None,
                limit: float | None) -> None:
    if not site_exists(conn, site_id):
        return  # deleted while its last round ran
    conn.execute(site_load.insert().values(site_id=site_id, at=at, planned_w=planned, measured_w=measured,
                                           limit_w=limit))


def load_history(conn: Connection, site_id: str, since: datetime, until: datetime, max_points: int) -> list[Any]:
    rows = list(conn.execute(select(site_load.c.at, site_load.c.planned_w, site_load.c.measured_w,
                                    site_load.c.limit_w)
                             .where(and_(site_load.c.site_id == site_id, site_load.c.at >= since,
                                         site_load.c.at < until))
                             .order_by(site_load.c.at, site_load.c.id)).all())
    if len(rows) <= max_points:
        return rows
    step = len(rows) / max_points
    return [rows[int(i * step)] for i in range(max_points)] + [rows[-1]]


def last_load(conn: Connection, site_id: str) -> Any:
    return conn.execute(select(site_load).where(site_load.c.site_id == site_id)
                        .order_by(desc(site_load.c.at), desc(site_load.c.id)).limit(1)).first()


def record_check(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(profile_checks.insert().values(**row))


def last_checks(conn: Connection, station_id: str) -> list[dict[str, Any]]:
    """The newest check of each kind and EVSE."""
    rows = conn.execute(select(profile_checks).where(profile_checks.c.station_id == station_id)
                        .order_by(desc(profile_checks.c.at), desc(profile_checks.c.id)).limit(200)).mappings().all()
    seen: set[tuple[str, int | None]] = set()
    out = []
    for row in rows:
        key = (row["kind"], row["evse_id"])
        if key not in seen:
            seen.add(key)
            out.append(dict(row))
    return out

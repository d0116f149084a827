"""One row per station for the dashboard's table: identity, connection, connectors and a summary status.

The summary status is what an operator scans for: `Offline` (no connection), `Faulted` (a connector
or the whole station reports a fault), `Charging` (a session runs), `Occupied`, `Reserved`,
`Unavailable` (every connector out of service), `Available`, or `Unknown` (connected, no status yet).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from chargeline.store.schema import connectors, stations, transactions

if TYPE_CHECKING:
    from chargeline.csms.app import Csms

STATUS_ORDER = ("Faulted", "Offline", "Unavailable", "Charging", "Occupied", "Reserved", "Available", "Unknown")
MAX_STATIONS = 20_000
_BUSY = frozenset({"Occupied", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"})


def summary_status(connected: bool, connector_states: Iterable[tuple[int, str]], active_tx: int) -> str:
    """The station's status from its connectors' (evse_id, status) and its running sessions."""
    if not connected:
        return "Offline"
    states = list(connector_states)
    if any(status == "Faulted" for _, status in states):
        return "Faulted"
    if active_tx:
        return "Charging"
    outlets = [status for evse, status in states if evse > 0]
    if any(status in _BUSY for status in outlets):
        return "Occupied"
    if any(status == "Reserved" for status in outlets):
        return "Reserved"
    station_down = any(evse == 0 and status == "Unavailable" for evse, status in states)
    if station_down or (outlets and all(status == "Unavailable" for status in outlets)):
        return "Unavailable"
    return "Available" if outlets else "Unknown"


def _read(conn: Connection) -> tuple[list[Any], list[Any], dict[str, int]]:
    rows = conn.execute(select(stations.c.id, stations.c.display_id, stations.c.ocpp_version, stations.c.vendor,
                               stations.c.model, stations.c.firmware_version, stations.c.boot_status,
                               stations.c.last_seen_at, stations.c.last_connected_at, stations.c.last_disconnected_at,
                               stations.c.security_profile)
                        .order_by(stations.c.id).limit(MAX_STATIONS)).all()
    plugs = conn.execute(select(connectors.c.station_id, connectors.c.evse_id, connectors.c.connector_id,
                                connectors.c.status, connectors.c.error_code, connectors.c.received_at)
                         .order_by(connectors.c.station_id, connectors.c.evse_id, connectors.c.connector_id)).all()
    active = conn.execute(select(transactions.c.station_id, func.count()).where(transactions.c.status == "active")
                          .group_by(transactions.c.station_id)).all()
    return list(rows), list(plugs), {station: int(count) for station, count in active}


def station_rows(conn: Connection, csms: Csms) -> list[dict[str, Any]]:
    rows, plugs, active = _read(conn)
    by_station: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in plugs:
        by_station[p.station_id].append({"evse_id": p.evse_id, "connector_id": p.connector_id, "status": p.status,
                                         "error_code": p.error_code, "since": p.received_at})
    out = []
    for r in rows:
        session = csms.connections.get(r.id)
        plugs_of = by_station.get(r.id, [])
        tx = active.get(r.id, 0)
        out.append({
            "station_id": r.display_id, "connected": session is not None,
            "ocpp_version": session.version.label if session is not None else r.ocpp_version,
            "vendor": r.vendor, "model": r.model, "firmware_version": r.firmware_version,
            "boot_status": r.boot_status, "security_profile": r.security_profile,
            "last_seen_at": r.last_seen_at, "last_connected_at": r.last_connected_at,
            "last_disconnected_at": r.last_disconnected_at,
            "connectors": plugs_of, "active_transactions": tx,
            "status": summary_status(session is not None, ((p["evse_id"], p["status"]) for p in plugs_of), tx),
        })
    return out


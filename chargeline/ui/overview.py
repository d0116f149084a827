"""The dashboard's overview in one read: station and connector counts, running sessions, energy and power,
and the alerts a control room acts on.

Alerts: `offline` (a station that has connected before and has no connection now), `faulted` (a
connector or station reporting Faulted), `security` (security events of the last day; critical
ones first) and `stale_transaction` (a session still open while its station is offline, silent for
`STALE_AFTER`, or running longer than `LONG_SESSION`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from chargeline.domain.meter import ENERGY_REGISTER
from chargeline.store.schema import meter_values, security_events, stations, transactions
from chargeline.ui.fleet import STATUS_ORDER, station_rows

if TYPE_CHECKING:
    from chargeline.csms.app import Csms

STALE_AFTER = timedelta(hours=2)
LONG_SESSION = timedelta(hours=24)
POWER_FRESH = timedelta(minutes=15)
SECURITY_WINDOW = timedelta(hours=24)
MAX_ALERTS = 200
POWER = "Power.Active.Import"


def _latest(conn: Connection, ids: list[int], measurand: str, column: Any, since: datetime | None = None
            ) -> dict[int, Any]:
    """Per transaction: `column` aggregated over its whole-EVSE samples of `measurand`."""
    out: dict[int, Any] = {}
    for i in range(0, len(ids), 500):
        where = [meter_values.c.transaction_id.in_(ids[i:i + 500]), meter_values.c.measurand == measurand,
                 meter_values.c.phase.is_(None)]
        if since is not None:
            where.append(meter_values.c.received_at >= since)
        out.update(conn.execute(select(meter_values.c.transaction_id, column).where(and_(*where))
                                .group_by(meter_values.c.transaction_id)).all())
    return out


def _power(conn: Connection, ids: list[int], now: datetime) -> dict[int, float]:
    newest = _latest(conn, ids, POWER, func.max(meter_values.c.id), now - POWER_FRESH)
    if not newest:
        return {}
    rows = conn.execute(select(meter_values.c.transaction_id, meter_values.c.value)
                        .where(meter_values.c.id.in_(list(newest.values())))).all()
    return {tx: float(value) for tx, value in rows if value is not None}


def _sessions(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    rows = conn.execute(select(transactions.c.id, transactions.c.evse_id, transactions.c.started_at,
                               transactions.c.start_received_at, transactions.c.meter_start_wh,
                               stations.c.display_id, stations.c.id.label("key"))
                        .select_from(transactions.join(stations, stations.c.id == transactions.c.station_id))
                        .where(transactions.c.status == "active")).all()
    ids = [r.id for r in rows]
    register = _latest(conn, ids, ENERGY_REGISTER, func.max(meter_values.c.value))
    heard = _latest(conn, ids, ENERGY_REGISTER, func.max(meter_values.c.received_at))
    heard_any = _latest(conn, ids, POWER, func.max(meter_values.c.received_at))
    power = _power(conn, ids, now)
    out = []
    for r in rows:
        last = max([t for t in (r.start_received_at, heard.get(r.id), heard_any.get(r.id)) if t is not None],
                   default=None)
        energy = (register[r.id] - r.meter_start_wh if r.id in register and r.meter_start_wh is not None else None)
        out.append({"transaction_id": r.id, "station_id": r.display_id, "key": r.key, "evse_id": r.evse_id,
                    "started_at": r.started_at or r.start_received_at, "last_heard_at": last,
                    "energy_wh": max(energy, 0.0) if energy is not None else None, "power_w": power.get(r.id)})
    return out


def _energy_ended(conn: Connection, since: datetime) -> float:
    total = conn.execute(select(func.sum(transactions.c.energy_wh)).where(and_(
        transactions.c.status == "ended", transactions.c.stopped_at >= since))).scalar()
    return float(total or 0.0)


def _security(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    """Security events of the last day, one alert per station and event type (newest first, with a count)."""
    events = conn.execute(select(security_events.c.event_type, security_events.c.timestamp,
                                 security_events.c.tech_info, security_events.c.critical, stations.c.display_id)
                          .select_from(security_events.join(stations, stations.c.id == security_events.c.station_id))
                          .where(security_events.c.received_at >= now - SECURITY_WINDOW)
                          .order_by(security_events.c.id.desc()).limit(20 * MAX_ALERTS)).all()
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        alert = grouped.get((e.display_id, e.event_type))
        if alert is None:
            grouped[(e.display_id, e.event_type)] = {
                "kind": "security", "severity": "critical" if e.critical else "info", "station_id": e.display_id,
                "at": e.timestamp, "event_type": e.event_type, "tech_info": e.tech_info, "count": 1}
        else:
            alert["count"] += 1
    return list(grouped.values())


def _alerts(conn: Connection, rows: list[dict[str, Any]], sessions: list[dict[str, Any]], now: datetime
            ) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    online = {r["station_id"] for r in rows if r["connected"]}
    for r in rows:
        if not r["connected"] and r["last_connected_at"] is not None:
            alerts.append({"kind": "offline", "severity": "warning", "station_id": r["station_id"],
                           "at": r["last_disconnected_at"] or r["last_seen_at"], "last_seen_at": r["last_seen_at"]})
        for plug in r["connectors"]:
            if plug["status"] == "Faulted":
                alerts.append({"kind": "faulted", "severity": "critical", "station_id": r["station_id"],
                               "at": plug["since"], "evse_id": plug["evse_id"], "connector_id": plug["connector_id"],
                               "error_code": plug["error_code"]})
    alerts += _security(conn, now)
    for s in sessions:
        reason = None
        if s["station_id"] not in online:
            reason = "station_offline"
        elif s["last_heard_at"] is not None and now - s["last_heard_at"] > STALE_AFTER:
            reason = "no_meter_values"
        elif s["started_at"] is not None and now - s["started_at"] > LONG_SESSION:
            reason = "long_session"
        if reason:
            alerts.append({"kind": "stale_transaction", "severity": "warning", "station_id": s["station_id"],
                           "at": s["last_heard_at"] or s["started_at"], "transaction_id": s["transaction_id"],
                           "evse_id": s["evse_id"], "reason": reason})
    rank = {"critical": 0, "warning": 1, "info": 2}
    alerts.sort(key=lambda a: (rank[a["severity"]], -(a["at"].timestamp() if a["at"] else 0)))
    return alerts


def overview(conn: Connection, csms: Csms, since: datetime, now: datetime) -> dict[str, Any]:
    """Everything the overview page shows; `since` is the start of the operator's day (energy today)."""
    rows = station_rows(conn, csms)
    sessions = _sessions(conn, now)
    by_status = Counter(r["status"] for r in rows)
    plugs = Counter(p["status"] if r["connected"] else "Offline" for r in rows for p in r["connectors"]
                    if p["evse_id"] > 0)
    alerts = _alerts(conn, rows, sessions, now)
    running = sum(s["energy_wh"] or 0.0 for s in sessions)
    return {
        "at": now,
        "stations": {"total": len(rows), "connected": sum(1 for r in rows if r["connected"]),
                     "by_status": {status: by_status.get(status, 0) for status in STATUS_ORDER},
                     "by_version": dict(Counter(r["ocpp_version"] or "unknown" for r in rows))},
        "connectors": {"total": sum(plugs.values()), "by_status": dict(plugs.most_common())},
        "transactions": {"active": len(sessions)},
        "energy_today_wh": _energy_ended(conn, since) + running,
        "power_w": sum(s["power_w"] or 0.0 for s in sessions),
        "alerts": {"total": len(alerts), "by_kind": dict(Counter(a["kind"] for a in alerts)),
                   "items": alerts[:MAX_ALERTS]},
    }

"""A station's configuration as last reported: 1.6 configuration keys or the 2.x device model.

There is no separate copy to keep in sync: the snapshot is folded from the recorded answers to
get_configuration (1.6) and the NotifyReport parts attached to get_base_report / get_report
(2.x), newest first, so it is exactly what the station last said. Secrets stay redacted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from chargeline.csms.commands.redact import redact
from chargeline.store.api_schema import commands
from chargeline.store.schema import station_notifications


def configuration_snapshot(conn: Connection, key: str, version: str | None) -> dict[str, Any]:
    if version is None:
        return {"ocpp_version": None, "items": [], "sources": []}
    if version == "1.6":
        return _keys_v16(conn, key)
    return _device_model(conn, key, version)


def _keys_v16(conn: Connection, key: str) -> dict[str, Any]:
    rows = conn.execute(select(commands.c.id, commands.c.completed_at, commands.c.response).where(and_(
        commands.c.station_id == key, commands.c.operation == "get_configuration",
        commands.c.status == "completed")).order_by(commands.c.id.desc()).limit(50)).all()
    items: dict[str, dict[str, Any]] = {}
    sources = []
    for row in rows:
        sources.append({"command_id": row.id, "at": row.completed_at})
        for entry in (row.response or {}).get("configurationKey", []):
            items.setdefault(entry["key"], {**redact(entry), "reported_at": row.completed_at, "command_id": row.id})
    return {"ocpp_version": "1.6", "items": [items[k] for k in sorted(items)], "sources": sources}


def _variable_key(item: dict[str, Any]) -> tuple[Any, ...]:
    component, variable = item.get("component") or {}, item.get("variable") or {}
    evse = component.get("evse") or {}
    return (component.get("name"), component.get("instance"), evse.get("id"), evse.get("connectorId"),
            variable.get("name"), variable.get("instance"))


def _device_model(conn: Connection, key: str, version: str) -> dict[str, Any]:
    requests = conn.execute(select(commands.c.id, commands.c.created_at).where(and_(
        commands.c.station_id == key, commands.c.operation.in_(("get_base_report", "get_report")),
        commands.c.ocpp_version == version)).order_by(commands.c.id.desc()).limit(20)).all()
    if not requests:
        return {"ocpp_version": version, "items": [], "sources": []}
    ids = [r.id for r in requests]
    parts = conn.execute(select(station_notifications.c.request_id, station_notifications.c.received_at,
                                station_notifications.c.payload).where(and_(
        station_notifications.c.station_id == key, station_notifications.c.action == "NotifyReport",
        station_notifications.c.request_id.in_(ids))).order_by(station_notifications.c.id.desc())).all()
    items: dict[tuple[Any, ...], dict[str, Any]] = {}
    sources: dict[int, dict[str, Any]] = {}
    for part in parts:
        sources.setdefault(part.request_id, {"command_id": part.request_id, "at": part.received_at})
        for data in part.payload.get("reportData", []):
            items.setdefault(_variable_key(data), {**redact(data), "reported_at": part.received_at,
                                                   "command_id": part.request_id})
    ordered = sorted(items.values(), key=lambda i: tuple(str(x) for x in _variable_key(i)))
    return {"ocpp_version": version, "items": ordered, "sources": sorted(sources.values(),
                                                                         key=lambda s: -s["command_id"])}

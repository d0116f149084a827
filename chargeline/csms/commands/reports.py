"""Attaching a station's asynchronous reports to the command that asked for them.

The reports themselves are stored by the inbound side (`station_notifications`, with their
requestId). Because the command id is the requestId we sent, a command's reports are a
lookup, and nothing is lost if the API was not listening when they arrived. 1.6 status
notifications carry no requestId: they belong to the latest command of that kind before them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from chargeline.csms.commands.operations import OPERATIONS
from chargeline.csms.commands.redact import redact
from chargeline.ocpp.versions import OcppVersion
from chargeline.store.api_schema import commands
from chargeline.store.schema import station_notifications, transactions

# 1.6 notifications without a requestId.
_UNNUMBERED = frozenset({"FirmwareStatusNotification", "DiagnosticsStatusNotification"})
# A report is complete when a part arrives with tbc false; a status notification when it reaches one of these.
_FINAL_STATUS = {
    "FirmwareStatusNotification": {"Installed", "InstallationFailed", "DownloadFailed", "InstallVerificationFailed",
                                   "InvalidSignature"},
    "SignedFirmwareStatusNotification": {"Installed", "InstallationFailed", "DownloadFailed",
                                         "InstallVerificationFailed", "InvalidSignature"},
    "DiagnosticsStatusNotification": {"Uploaded", "UploadFailed"},
    "LogStatusNotification": {"Uploaded", "UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied",
                              "AcceptedCanceled"},
    "PublishFirmwareStatusNotification": {"Published", "DownloadFailed", "PublishFailed", "InvalidChecksum"},
}


def _complete(action: str, payload: dict[str, Any]) -> bool:
    final = _FINAL_STATUS.get(action)
    if final is not None:
        return payload.get("status") in final
    return not payload.get("tbc", False)


def command_reports(conn: Connection, command: dict[str, Any]) -> dict[str, Any]:
    """{"items": [...], "complete": bool} for a command row (empty when it expects no report)."""
    op = OPERATIONS.get(command["operation"])
    if op is None:
        return {"items": [], "complete": True}
    version = OcppVersion.parse(command["ocpp_version"])
    actions = op.reports(version)
    if not actions:
        return {"items": [], "complete": True}
    numbered = [a for a in actions if version.is_v2 or a not in _UNNUMBERED]
    rows: list[Any] = []
    base = select(station_notifications).where(station_notifications.c.station_id == command["station_key"])
    if numbered:
        rows += conn.execute(base.where(and_(station_notifications.c.action.in_(numbered),
                                             station_notifications.c.request_id == command["id"]))).all()
    unnumbered = [a for a in actions if a not in numbered]
    if unnumbered:
        until = _next_command_at(conn, command)
        query = base.where(and_(station_notifications.c.action.in_(unnumbered),
                                station_notifications.c.received_at >= command["created_at"]))
        if until is not None:
            query = query.where(station_notifications.c.received_at < until)
        rows += conn.execute(query).all()
    items = sorted(({"action": r.action, "received_at": r.received_at, "payload": redact(r.payload), "_id": r.id}
                    for r in rows), key=lambda item: (item["received_at"], item["_id"]))
    for item in items:
        del item["_id"]
    complete = any(_complete(i["action"], i["payload"]) for i in items)
    return {"items": items, "complete": complete}


def _next_command_at(conn: Connection, command: dict[str, Any]) -> datetime | None:
    return conn.execute(select(commands.c.created_at).where(and_(
        commands.c.station_id == command["station_key"], commands.c.operation == command["operation"],
        commands.c.id > command["id"])).order_by(commands.c.id).limit(1)).scalar()


def started_transaction(conn: Connection, command: dict[str, Any]) -> int | None:
    """2.x: the transaction a remote start opened (its remoteStartId is the command id)."""
    if command["operation"] != "remote_start" or command["ocpp_version"] == "1.6":
        return None
    return conn.execute(select(transactions.c.id).where(and_(
        transactions.c.station_id == command["station_key"], transactions.c.remote_start_id == command["id"]))
        .limit(1)).scalar()

"""2.x variable monitoring (N): monitors on device-model variables and the events they raise.

Threshold and delta monitors fire a NotifyEvent when the station changes a monitored value;
periodic monitors report on their interval. Monitors are persistent; SetMonitoringBase and
SetMonitoringLevel select which ones are active and which severities are reported.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chargeline.domain.clock import format_utc
from chargeline.station.device_model import DeviceModel, Variable

if TYPE_CHECKING:
    from chargeline.station.runtime import Station

TYPES = frozenset({"UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned"})
CRITERIA = {"ThresholdMonitoring": {"UpperThreshold", "LowerThreshold"}, "DeltaMonitoring": {"Delta"},
            "PeriodicMonitoring": {"Periodic", "PeriodicClockAligned"}}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class Monitors:
    def __init__(self, station: Station, model: DeviceModel):
        self.station = station
        self.model = model
        self.items: dict[int, dict[str, Any]] = {int(k): v for k, v in station.state.items("monitors")}
        self.level = int(station.state.get("meta", "monitoring_level", 9))
        self._ids = itertools.count(max(self.items, default=0) + 1)
        self._event_ids = itertools.count(1)
        self._last: dict[int, str] = {}
        self._next: dict[int, datetime] = {}
        model.on_change.append(self.changed)

    def _save(self, monitor: dict[str, Any]) -> None:
        self.station.state.put("monitors", str(monitor["id"]), monitor)

    # SetVariableMonitoring (N04) ---------------------------------------------------------------
    def set(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        for item in requests:
            result = {k: item[k] for k in ("type", "severity", "component", "variable")}
            var, problem = self.model.find(item["component"], item["variable"])
            if var is None:
                result["status"] = problem
            elif item["type"] not in TYPES or not var.monitoring:
                result["status"] = "UnsupportedMonitorType"
            elif (item.get("id") is not None and item["id"] not in self.items) or (
                    item["type"] == "Delta" and item["value"] < 0):
                result["status"] = "Rejected"
            else:
                monitor_id = item.get("id") or next(self._ids)
                monitor = {"id": monitor_id, "key": list(var.key), "type": item["type"], "value": item["value"],
                           "severity": item["severity"], "transaction": bool(item.get("transaction", False)),
                           "component": item["component"], "variable": item["variable"]}
                duplicate = any(m["key"] == monitor["key"] and m["type"] == monitor["type"] and m["id"] != monitor_id
                                for m in self.items.values())
                if duplicate:
                    result["status"] = "Duplicate"
                else:
                    self.items[monitor_id] = monitor
                    self._save(monitor)
                    result["status"], result["id"] = "Accepted", monitor_id
            results.append(result)
        return results

    def clear(self, ids: list[int]) -> list[dict[str, Any]]:
        out = []
        for monitor_id in ids:
            if monitor_id in self.items:
                del self.items[monitor_id]
                self.station.state.delete("monitors", str(monitor_id))
                out.append({"id": monitor_id, "status": "Accepted"})
            else:
                out.append({"id": monitor_id, "status": "NotFound"})
        return out

    def set_base(self, base: str) -> str:
        if base in ("FactoryDefault", "HardWiredOnly"):
            for monitor_id in list(self.items):
                self.station.state.delete("monitors", str(monitor_id))
            self.items.clear()
        self.model.set_actual(("MonitoringCtrlr", None, None, None, "ActiveMonitoringBase", None), base)
        return "Accepted"

    def set_level(self, severity: int) -> str:
        if not 0 <= severity <= 9:
            return "Rejected"
        self.level = severity
        self.station.state.put("meta", "monitoring_level", severity)
        self.model.set_actual(("MonitoringCtrlr", None, None, None, "ActiveMonitoringLevel", None), str(severity))
        return "Accepted"

    # GetMonitoringReport (N02) ------------------------------------------------------------------
    def report(self, criteria: list[str] | None, component_variables: list[dict[str, Any]] | None
               ) -> list[dict[str, Any]]:
        wanted = set().union(*(CRITERIA[c] for c in criteria)) if criteria else TYPES
        grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
        for monitor in self.items.values():
            if monitor["type"] not in wanted:
                continue
            var = self.model.index.get(tuple(monitor["key"]))
            if var is None:
                continue
            if component_variables and not any(cv["component"]["name"] == var.component and (
                    cv.get("variable") is None or cv["variable"]["name"] == var.variable)
                    for cv in component_variables):
                continue
            entry = grouped.setdefault(var.key, {"component": var.component_json(), "variable": var.variable_json(),
                                                 "variableMonitoring": []})
            item: dict[str, Any] = {"id": monitor["id"], "transaction": monitor["transaction"],
                                    "value": monitor["value"], "type": monitor["type"],
                                    "severity": monitor["severity"]}
            if self.station.version.label == "2.1":
                item["eventNotificationType"] = "CustomMonitor"
            entry["variableMonitoring"].append(item)
        return list(grouped.values())

    # events ---------------------------------------------------------------------------------------
    def changed(self, var: Variable, old: str, new: str) -> None:
        for monitor in self.items.values():
            if tuple(monitor["key"]) != var.key or monitor["severity"] > self.level:
                continue
            kind, limit = monitor["type"], float(monitor["value"])
            value, before = _number(new), _number(old)
            fire = False
            if kind == "UpperThreshold" and value is not None:
                fire = value > limit and (before is None or before <= limit)
            elif kind == "LowerThreshold" and value is not None:
                fire = value < limit and (before is None or before >= limit)
            elif kind == "Delta":
                base = self._last.get(monitor["id"], old)
                if value is not None and _number(base) is not None:
                    fire = abs(value - float(base)) >= limit
                else:
                    fire = new != base
                if fire:
                    self._last[monitor["id"]] = new
            if fire:
                self.notify(var, new, "Delta" if kind == "Delta" else "Alerting", monitor["id"])

    def tick(self, now: datetime) -> None:
        for monitor in self.items.values():
            if monitor["type"] not in ("Periodic", "PeriodicClockAligned") or monitor["severity"] > self.level:
                continue
            interval = max(1.0, float(monitor["value"]))
            due = self._next.get(monitor["id"])
            if due is None:
                if monitor["type"] == "PeriodicClockAligned":
                    epoch = now.timestamp()
                    due = datetime.fromtimestamp((epoch // interval + 1) * interval, now.tzinfo)
                else:
                    due = now + timedelta(seconds=interval)
                self._next[monitor["id"]] = due
                continue
            if now >= due:
                self._next[monitor["id"]] = max(due + timedelta(seconds=interval), now)
                var = self.model.index.get(tuple(monitor["key"]))
                if var is not None:
                    self.notify(var, self.model.value(var.key) or "", "Periodic", monitor["id"])

    def notify(self, var: Variable, value: str, trigger: str, monitor_id: int) -> None:
        st = self.station
        event = {"eventId": next(self._event_ids), "timestamp": format_utc(st.clock.now()), "trigger": trigger,
                 "actualValue": value[:2500], "eventNotificationType": "CustomMonitor",
                 "component": var.component_json(), "variable": var.variable_json(),
                 "variableMonitoringId": monitor_id}
        st.post("NotifyEvent", {"generatedAt": format_utc(st.clock.now()), "seqNo": 0, "tbc": False,
                                "eventData": [event]})

"""2.x display messages (O): what the station's screen shows, set and read by the CSMS."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chargeline.domain.clock import parse_station_time

if TYPE_CHECKING:
    from chargeline.station.runtime import Station

PRIORITIES = frozenset({"AlwaysFront", "InFront", "NormalCycle"})


class DisplayMessages:
    def __init__(self, station: Station):
        self.station = station
        self.messages: dict[int, dict[str, Any]] = {int(k): v for k, v in station.state.items("display")}

    def set(self, message: dict[str, Any]) -> str:
        """SetDisplayMessage status (O01/O02)."""
        st = self.station
        formats = set(st.settings.items("supported_formats") or ["ASCII", "HTML", "URI", "UTF8"])
        if message["message"]["format"] not in formats:
            return "NotSupportedMessageFormat"
        if message["priority"] not in PRIORITIES:
            return "NotSupportedPriority"
        state = message.get("state")
        if state is not None and state not in ("Charging", "Faulted", "Idle", "Unavailable", "Suspended",
                                               "Discharging"):
            return "NotSupportedState"
        tx = message.get("transactionId")
        if tx is not None and not any(e.tx is not None and e.tx.local_id == tx for e in st.evses):
            return "UnknownTransaction"
        if len(self.messages) >= 10 and message["id"] not in self.messages:
            return "Rejected"
        self.messages[message["id"]] = message
        st.state.put("display", str(message["id"]), message)
        return "Accepted"

    def clear(self, message_id: int) -> bool:
        if self.messages.pop(message_id, None) is None:
            return False
        self.station.state.delete("display", str(message_id))
        return True

    def select(self, ids: list[int] | None, priority: str | None, state: str | None) -> list[dict[str, Any]]:
        now = self.station.clock.now()
        out = []
        for message in self.messages.values():
            if ids and message["id"] not in ids:
                continue
            if priority and message["priority"] != priority:
                continue
            if state and message.get("state") != state:
                continue
            if _expired(message, now):
                continue
            out.append(message)
        return out


def _expired(message: dict[str, Any], now: datetime) -> bool:
    end = message.get("endDateTime")
    return end is not None and parse_station_time(end) < now

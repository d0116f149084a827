"""In-process event fan-out (connections, boots, status, transactions, meter values…).

Subscribers get a bounded queue each; a slow subscriber loses its oldest events rather
than slowing the message path. The API's event stream, webhooks and smart charging subscribe
here, each saying which events it wants: an event nobody wants is never built or queued (at
thousands of messages a second, building and waking consumers for unwanted events was a
measurable share of the event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chargeline.domain.clock import utcnow


@dataclass(slots=True, frozen=True)
class Event:
    type: str
    station_id: str | None
    data: dict[str, Any]
    at: datetime = field(default_factory=utcnow)


# (event type, station identity or None) -> whether a subscriber takes the event
Wants = Callable[[str, str | None], bool]


class EventHub:
    def __init__(self) -> None:
        self._subscribers: dict[asyncio.Queue[Event], Wants | None] = {}

    def wants(self, type_: str, station_id: str | None) -> bool:
        """Whether any subscriber takes this event (callers skip building costly data otherwise)."""
        return any(wants is None or wants(type_, station_id) for wants in self._subscribers.values())

    def publish(self, type_: str, station_id: str | None, **data: Any) -> None:
        event: Event | None = None
        for queue, wants in self._subscribers.items():
            if wants is not None and not wants(type_, station_id):
                continue
            if event is None:
                event = Event(type_, station_id, data)
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    def subscribe(self, maxsize: int = 1000, wants: Wants | None = None) -> asyncio.Queue[Event]:
        """A queue of the events `wants` accepts (every event without it)."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._subscribers[queue] = wants
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers.pop(queue, None)

"""In-process event fan-out (connections, boots, status, transactions, meter values…).

Subscribers get a bounded queue each; a slow subscriber loses its oldest events rather
than slowing the message path. The API's event stream and webhooks subscribe here.
"""

from __future__ import annotations

import asyncio
import contextlib
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


class EventHub:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[Event]] = set()

    @property
    def active(self) -> bool:
        """Whether anyone listens (callers skip building event data otherwise)."""
        return bool(self._subscribers)

    def publish(self, type_: str, station_id: str | None, **data: Any) -> None:
        if not self._subscribers:
            return
        event = Event(type_, station_id, data)
        for queue in self._subscribers:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    def subscribe(self, maxsize: int = 1000) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers.discard(queue)

"""Webhook delivery: every matching event is POSTed, signed, retried with back-off, every attempt recorded.

Signature (`X-Chargeline-Signature: t=<unix time>,v1=<hex>`): HMAC-SHA256 with the webhook's
secret over `<t>.<body>`. A receiver recomputes it, compares in constant time and refuses a
`t` far from its clock (replays). Deliveries are rows first and requests second, so a delivery
pending when the CSMS stops is resumed when it starts again. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from chargeline.api.routes.events import event_json, matches, wanted
from chargeline.api.settings import ApiSettings
from chargeline.csms.events import Event
from chargeline.domain.clock import utcnow
from chargeline.store.api_schema import webhook_attempts, webhook_deliveries, webhooks

if TYPE_CHECKING:
    from chargeline.csms.app import Csms

log = logging.getLogger(__name__)

USER_AGENT = "Chargeline-Webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Chargeline-Signature` header value."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance: float = 300.0, now: float | None = None) -> bool:
    """Check a signature header as a receiver should (shipped for receivers written in Python)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


@dataclass(slots=True, frozen=True)
class Hook:
    id: int
    url: str
    secret: str
    event_types: frozenset[str]
    station_keys: frozenset[str]
    max_attempts: int


@dataclass(slots=True)
class _Delivery:
    id: int
    hook_id: int
    event_type: str
    body: bytes
    attempts: int


class WebhookDispatcher:
    def __init__(self, csms: Csms, settings: ApiSettings):
        self.csms = csms
        self.settings = settings
        self._hooks: dict[int, Hook] = {}
        self._deliveries: dict[int, _Delivery] = {}
        self._due: list[tuple[float, int]] = []  # (monotonic due time, delivery id)
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._queue: asyncio.Queue[Event] | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.webhook_concurrency)
        self.delivered = 0
        self.failed_attempts = 0

    @property
    def pending(self) -> int:
        return len(self._deliveries)

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.settings.webhook_timeout, follow_redirects=False,
                                         headers={"User-Agent": USER_AGENT})
        await self.reload()
        await self._resume()
        self._queue = self.csms.events.subscribe(maxsize=10_000, wants=self._wants)
        self._tasks = [asyncio.create_task(self._consume(), name="webhook-events"),
                       asyncio.create_task(self._schedule(), name="webhook-scheduler")]

    async def stop(self) -> None:
        if self._queue is not None:
            self.csms.events.unsubscribe(self._queue)
        for task in [*self._tasks, *self._running]:
            task.cancel()
        for task in [*self._tasks, *self._running]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.aclose()

    async def reload(self) -> None:
        """Re-read the subscriptions (after any change through the API)."""
        async with self.csms.engine.connect() as conn:
            rows = (await conn.execute(select(webhooks).where(webhooks.c.active.is_(True)))).mappings().all()
        self._hooks = {r["id"]: Hook(r["id"], r["url"], r["secret"], frozenset(r["event_types"] or ()),
                                     frozenset(r["station_ids"] or ()), r["max_attempts"]) for r in rows}

    async def _resume(self) -> None:
        async with self.csms.engine.connect() as conn:
            rows = (await conn.execute(select(webhook_deliveries).where(
                webhook_deliveries.c.status == "pending"))).mappings().all()
        for r in rows:
            self._deliveries[r["id"]] = _Delivery(r["id"], r["webhook_id"], r["event_type"], r["body"].encode(),
                                                  r["attempts"])
            self._push(r["id"], 0.0)

    # --- events -> deliveries --------------------------------------------------------------
    def _wants(self, type_: str, station_id: str | None) -> bool:
        """Only events some active webhook subscribes to are queued (none at all without webhooks)."""
        return any(wanted(type_, station_id, h.event_types, h.station_keys) for h in self._hooks.values())

    async def _consume(self) -> None:
        assert self._queue is not None
        while True:
            event = await self._queue.get()
            try:
                await self.enqueue(event)
            except Exception:
                log.exception("webhook deliveries for %s not created", event.type)

    async def enqueue(self, event: Event, only: int | None = None) -> list[int]:
        """Create a delivery of `event` for every matching webhook (or just webhook `only`)."""
        hooks = [h for h in self._hooks.values() if (only is None and matches(event, set(h.event_types),
                                                                             set(h.station_keys))) or h.id == only]
        if not hooks:
            return []
        body = orjson.dumps({"id": str(uuid.uuid4()), **event_json(event)}, option=orjson.OPT_UTC_Z, default=str)
        now = utcnow()
        rows = [{"webhook_id": h.id, "event_type": event.type, "station_id": event.station_id, "body": body.decode(),
                 "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now} for h in hooks]

        def unit(conn: Connection) -> list[int]:
            return [int(conn.execute(insert(webhook_deliveries).values(**row)).inserted_primary_key[0])  # type: ignore[index]
                    for row in rows]

        ids = await self.csms.writer.run(unit)
        for delivery_id, hook in zip(ids, hooks, strict=True):
            self._deliveries[delivery_id] = _Delivery(delivery_id, hook.id, event.type, body, 0)
            self._push(delivery_id, 0.0)
        return ids

    # --- scheduling ------------------------------------------------------------------------
    def _push(self, delivery_id: int, delay: float) -> None:
        heapq.heappush(self._due, (time.monotonic() + delay, delivery_id))
        self._wakeup.set()

    async def _schedule(self) -> None:
        while True:
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                _, delivery_id = heapq.heappop(self._due)
                delivery = self._deliveries.get(delivery_id)
                if delivery is None:
                    continue
                await self._slots.acquire()
                task = asyncio.create_task(self._attempt(delivery), name=f"webhook-delivery-{delivery_id}")
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            self._wakeup.clear()
            timeout = (self._due[0][0] - time.monotonic()) if self._due else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: base x4^(n-1), capped, with ±10 % jitter."""
        delay = min(self.settings.webhook_retry_base * 4 ** (attempts - 1), self.settings.webhook_retry_max)
        return delay * random.uniform(0.9, 1.1)

    async def _attempt(self, delivery: _Delivery) -> None:
        try:
            hook = self._hooks.get(delivery.hook_id)
            if hook is None:  # deleted or disabled meanwhile
                await self._close(delivery, "failed", None, None, "webhook deleted or disabled", 0.0, count=False)
                return
            delivery.attempts += 1
            timestamp = int(time.time())
            headers = {"Content-Type": "application/json", "X-Chargeline-Event": delivery.event_type,
                       "X-Chargeline-Delivery": str(delivery.id), "X-Chargeline-Timestamp": str(timestamp),
                       "X-Chargeline-Signature": sign(hook.secret, timestamp, delivery.body)}
            started = time.monotonic()
            status_code, error = None, None
            assert self._client is not None
            try:
                response = await self._client.post(hook.url, content=delivery.body, headers=headers)
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
            duration = (time.monotonic() - started) * 1000
            if error is None:
                self.delivered += 1
                await self._close(delivery, "delivered", status_code, None, None, duration)
            elif delivery.attempts >= hook.max_attempts:
                self.failed_attempts += 1
                log.warning("webhook %d: delivery %d failed after %d attempts (%s)", hook.id, delivery.id,
                            delivery.attempts, error)
                await self._close(delivery, "failed", status_code, error, None, duration)
            else:
                self.failed_attempts += 1
                delay = self.backoff(delivery.attempts)
                await self._record(delivery, "pending", status_code, error, duration, retry_in=delay)
                self._push(delivery.id, delay)
        finally:
            self._slots.release()

    async def _close(self, delivery: _Delivery, status: str, status_code: int | None, error: str | None,
                     note: str | None, duration: float, count: bool = True) -> None:
        self._deliveries.pop(delivery.id, None)
        await self._record(delivery, status, status_code, error or note, duration, attempt=count)

    async def _record(self, delivery: _Delivery, status: str, status_code: int | None, error: str | None,
                      duration: float, retry_in: float | None = None, attempt: bool = True) -> None:
        now = utcnow()
        values: dict[str, Any] = {"status": status, "attempts": delivery.attempts,
                                  "next_attempt_at": now + timedelta(seconds=retry_in) if retry_in else None}
        if status == "delivered":
            values["delivered_at"] = now
        number = delivery.attempts

        def unit(conn: Connection) -> None:
            if attempt:
                conn.execute(insert(webhook_attempts).values(delivery_id=delivery.id, attempt=number, at=now,
                                                             status_code=status_code, error=error,
                                                             duration_ms=duration))
            conn.execute(update(webhook_deliveries).where(and_(webhook_deliveries.c.id == delivery.id))
                         .values(**values))

        await self.csms.writer.run(unit)

"""The persistent queue of transaction-related messages and its in-order delivery.

Every transaction message (1.6 Start/StopTransaction and transaction MeterValues, 2.x
TransactionEvent, and critical security events) is written to the station's SQLite file
before it is sent, and deleted only when the CSMS answers it. One sender delivers them in
order, so a CSMS sees a replay exactly as it happened. A CALLERROR or a timeout counts as a
failed attempt: the sender waits RetryInterval x attempts and gives up after
TransactionMessageAttempts (2.x: MessageAttempts / MessageAttemptInterval [TransactionEvent]).
A lost connection is not an attempt: the message waits for the next connection.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from chargeline.net.peer import ConnectionLost
from chargeline.ocpp.errors import OcppError
from chargeline.ocpp.rpc import CallFailed
from chargeline.station import aio
from chargeline.station.store import QueuedMessage

if TYPE_CHECKING:
    from chargeline.station.runtime import Station

log = logging.getLogger(__name__)


class TxQueue:
    def __init__(self, station: Station):
        self.station = station
        self.state = station.state
        self._wake = asyncio.Event()
        self.delivered = 0
        self.dropped = 0

    def push(self, action: str, payload: dict[str, Any], tx_ref: str | None = None) -> None:
        offline = not self.station.online
        self.state.push(action, payload, tx_ref, offline)
        self._wake.set()

    def __len__(self) -> int:
        return self.state.count()

    def pending(self, tx_ref: str) -> int:
        return sum(1 for item in self.state.queued() if item.tx_ref == tx_ref)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Deliver queued messages for as long as the station is powered."""
        st = self.station
        while True:
            item = self.state.head()
            if item is None or not st.online:
                self._wake.clear()
                await self._wake.wait()
                continue
            peer = st.peer
            if peer is None:
                await asyncio.sleep(0.05)
                continue
            payload = st.adapter.resolve(item)
            try:
                response = await aio.call(peer, item.action, payload)
            except ConnectionLost:
                await st.wait_online()
                continue
            except (CallFailed, TimeoutError) as exc:
                await self._failed(item, exc)
                continue
            except OcppError as exc:  # fails its own schema: retrying cannot help
                log.error("%s: queued %s is invalid (%s); dropped", st.id, item.action, exc.description)
                await self._failed(item, exc, final=True)
                continue
            self.state.remove(item.seq)
            self.delivered += 1
            st.adapter.delivered(item, payload, response)

    async def _failed(self, item: QueuedMessage, exc: Exception, final: bool = False) -> None:
        st = self.station
        attempts = item.attempts + 1
        limit = max(1, st.settings.integer("tx_attempts", 3))
        st.observer.error(st, f"{item.action}: {exc}")
        if attempts >= limit or final:
            log.warning("%s: dropping %s after %d attempts (%s)", st.id, item.action, attempts, exc)
            st.log.event(f"dropped {item.action} after {attempts} attempts: {exc}")
            self.state.remove(item.seq)
            self.dropped += 1
            st.adapter.delivered(item, item.payload, None)
            return
        self.state.set_attempts(item.seq, attempts)
        await asyncio.sleep(max(0.0, st.settings.integer("tx_retry_interval", 30)) * attempts)

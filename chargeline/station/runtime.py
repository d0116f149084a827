"""A charging station: power cycles, the connection to the CSMS, and the physical world.

`Station.run()` is the firmware's main loop: power on (load non-volatile state, recover
transactions a power cut interrupted), connect with back-off and jitter, boot, heartbeat,
deliver the transaction queue, and follow the EVs' charging every tick. Physical events come
from outside (`plug_in`, `present_token`, `unplug`, `go_offline`, `power_cut`, `set_fault`);
the CSMS's requests come through the version adapter's handlers. Handlers never wait for an
outbound CALL: follow-up messages are sent after our answer is on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chargeline.domain.clock import format_utc
from chargeline.net.peer import ConnectionLost, OcppPeer
from chargeline.ocpp.errors import ErrorKind, OcppError
from chargeline.ocpp.rpc import CallFailed, InboundCall, RpcSession
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion
from chargeline.station import aio
from chargeline.station.authorization import Authorizer, AuthResult, Token
from chargeline.station.certificates import CertificateStore
from chargeline.station.clock import SimClock
from chargeline.station.config import StationConfig
from chargeline.station.configuration_v16 import ConfigurationV16
from chargeline.station.connection import open_connection
from chargeline.station.connectors import Evse, Reservation, status_v2, status_v16
from chargeline.station.device_model import DeviceModel, evse_key, station_key
from chargeline.station.diagnostics import LogBuffer, LogUploads
from chargeline.station.ev import Ev
from chargeline.station.firmware import FirmwareUpdates
from chargeline.station.meter import Meter
from chargeline.station.offline_queue import TxQueue
from chargeline.station.settings import Settings
from chargeline.station.smart_charging import SmartCharging
from chargeline.station.store import StateDb, StationState
from chargeline.station.transactions import Transaction, TransactionManager

log = logging.getLogger(__name__)

CRITICAL_EVENTS = frozenset({"FirmwareUpdated", "SettingSystemTime", "StartupOfTheDevice", "ResetOrReboot",
                             "SecurityLogWasCleared", "MemoryExhaustion", "TamperDetectionActivated",
                             "InvalidFirmwareSignature", "InvalidFirmwareSigningCertificate",
                             "InvalidCsmsCertificate", "InvalidChargingStationCertificate",
                             "InvalidTLSVersion", "InvalidTLSCipherSuite"})


class StationObserver:
    """Hooks for statistics (the simulator's progress display); every method is optional."""

    def connected(self, station: Station, up: bool) -> None: ...

    def booted(self, station: Station, status: str) -> None: ...

    def tx_started(self, station: Station) -> None: ...

    def tx_ended(self, station: Station, energy_wh: float) -> None: ...

    def energy(self, station: Station, wh: float) -> None: ...

    def error(self, station: Station, text: str) -> None: ...


class _Socket:
    """The websocket as OcppPeer sees it; runs after-reply hooks once our answer is sent."""

    def __init__(self, ws: ClientConnection, station: Station):
        self.ws = ws
        self.station = station

    async def send(self, message: str) -> None:
        await self.ws.send(message)
        st = self.station
        st.log.frame("out", message)
        if st.after_reply and message[1] in "34":
            hook = st.after_reply.pop(orjson.loads(message)[1], None)
            if hook is not None:
                hook()

    def __aiter__(self) -> Any:
        return self._frames()

    async def _frames(self) -> Any:
        async for message in self.ws:
            self.station.log.frame("in", message if isinstance(message, str) else repr(message))
            yield message


class Station:
    def __init__(self, cfg: StationConfig, db: StateDb | None = None, clock: SimClock | None = None,
                 observer: StationObserver | None = None):
        from chargeline.station.handlers_v2 import V2Adapter
        from chargeline.station.handlers_v16 import V16Adapter

        self.cfg = cfg
        self.id = cfg.station_id
        self.version: OcppVersion = cfg.version
        self.clock = clock or SimClock()
        self.db = db or StateDb()
        self.state: StationState = self.db.station(cfg.station_id)
        self.observer = observer or StationObserver()
        self.log = LogBuffer(self.clock.now, cfg.log_buffer)
        self.settings: Settings
        self.device_model: DeviceModel | None = None
        self.configuration: ConfigurationV16 | None = None
        if self.version.is_v2:
            self.device_model = self.settings = DeviceModel(cfg, self.state)
        else:
            self.configuration = self.settings = ConfigurationV16(cfg, self.state)
        self.evses = [Evse(i, n, Meter(cfg.dc, cfg.phases, cfg.voltage))
                      for i, n in enumerate(cfg.layout(), start=1)]
        self.auth = Authorizer(self.state, self.settings, self.clock.now)
        self.certs = CertificateStore(self.state, self.version.is_v2, self.settings.integer("cert_store_max", 20))
        self.transactions = TransactionManager(self)
        self.queue = TxQueue(self)
        self.smart_charging = SmartCharging(self)
        self.firmware = FirmwareUpdates(self)
        self.uploads = LogUploads(self)
        self.adapter: V16Adapter | V2Adapter = V2Adapter(self) if self.version.is_v2 else V16Adapter(self)
        self.registry = registry_for(self.version)
        self.after_reply: dict[str, Callable[[], None]] = {}
        self.peer: OcppPeer | None = None
        self.ws: ClientConnection | None = None
        self.operative = True
        self.registration: str | None = None  # last BootNotification status in this power cycle
        self.boot_reason = "PowerUp"
        self.reservations: dict[int, Reservation] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._network = asyncio.Event()
        self._network.set()
        self._retry_now = asyncio.Event()
        self._online = asyncio.Event()
        self._idle = asyncio.Event()
        self._reboot = asyncio.Event()
        self._stopped = False
        self._powered = False
        self._power_restored = asyncio.Event()
        self._power_restored.set()
        self._power_lost = False
        self._boots = 0
        self._next_aligned: datetime | None = None
        self.heartbeat_interval = self.settings.integer("heartbeat_interval", 300)
        self.connects = 0
        self.close_timeout = 2.0  # seconds the close handshake gets when the power cycle ends
        self.last_close: str | None = None  # "clean" or "aborted": how the last connection ended at power-off

    # --- properties ------------------------------------------------------------------------
    @property
    def online(self) -> bool:
        return self.peer is not None and not self.peer.closed and self.registration == "Accepted"

    @property
    def powered(self) -> bool:
        return self._powered

    @property
    def firmware_version(self) -> str:
        return str(self.state.get("meta", "firmware_version", self.cfg.firmware_version))

    def evse(self, evse_id: int) -> Evse:
        for evse in self.evses:
            if evse.id == evse_id:
                return evse
        raise KeyError(evse_id)

    def has_evse(self, evse_id: int) -> bool:
        return any(e.id == evse_id for e in self.evses)

    # --- main loop -------------------------------------------------------------------------
    async def run(self) -> None:
        """Power cycles until `stop()`."""
        while not self._stopped:
            await self._power_restored.wait()
            if self._stopped:
                break
            self._power_on()
            self._reboot.clear()
            try:
                await self._reboot.wait()
            finally:
                await self._power_off(graceful=not self._power_lost)

    async def stop(self, close_timeout: float | None = None) -> None:
        """Switch the station off for good (the simulator's end): close the connection cleanly.

        Returns at once; `run()` ends after the close handshake, which gets `close_timeout` seconds
        (default: `self.close_timeout`) before the socket is aborted.
        """
        if close_timeout is not None:
            self.close_timeout = close_timeout
        self._stopped = True
        self._power_restored.set()
        self._reboot.set()

    def abort_connection(self) -> None:
        """Drop the socket without a close handshake (a stop in a hurry); `run()` then ends promptly."""
        self.close_timeout = 0.0
        if self.ws is not None:
            self.last_close = "aborted"
            self.ws.transport.abort()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A task that lives as long as the current power cycle."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("%s: task failed: %r", self.id, exc, exc_info=exc)
            self.observer.error(self, f"internal: {exc!r}")

    def _power_on(self) -> None:
        self._powered = True
        self._boots += 1
        self.registration = None
        self.after_reply.clear()
        self.operative = bool(self.state.get("meta", "operative", True))
        self.reservations = {int(k): Reservation.from_json(v) for k, v in self.state.items("reservations")}
        for evse in self.evses:
            evse.operative = bool(self.state.get("evse_operative", str(evse.id), True))
            evse.meter.register_wh = float(self.state.get("register", str(evse.id), evse.meter.register_wh))
            evse.meter.updated = self.clock.now()
            evse.authorization = None
            evse.auth_deadline = None
            evse.scheduled_operative = None
            evse.remote_start_id = None
            evse.tx = None
            evse.reported = {}
            evse.reserved = None
            evse.finishing = False
            evse.blocked = {"EVConnected", "ParkingBayOccupancy"} if evse.plugged else set()
        for reservation in self.reservations.values():
            if reservation.evse_id:
                self.evse(reservation.evse_id).reserved = reservation
        reason = "PowerLoss" if self._power_lost else "Reboot"
        self._power_lost = False
        for _, data in list(self.state.items("tx")):  # transactions interrupted by the power cycle
            tx = Transaction.from_json(data)
            if self.has_evse(tx.evse_id):
                evse = self.evse(tx.evse_id)
                evse.tx = tx
                self.transactions.stop(evse, reason, "AbnormalCondition" if reason == "PowerLoss" else
                                       "ResetCommand")
        self.log.event(f"power on ({self.boot_reason}), firmware {self.firmware_version}")
        self.spawn(self._connection_loop())
        self.spawn(self._tick_loop())
        self.spawn(self.queue.run())

    async def _power_off(self, graceful: bool) -> None:
        self._powered = False
        for evse in self.evses:
            evse.meter.advance(self.clock.now())
            self._save_register(evse)
        ws = self.ws
        if ws is not None:
            clean = False
            if graceful and self.close_timeout > 0:
                with contextlib.suppress(Exception):  # timeout, connection errors: the socket is aborted below
                    async with asyncio.timeout(self.close_timeout):
                        await ws.close(1000, "station restarting" if not self._stopped else "station switched off")
                clean = ws.protocol.close_rcvd is not None
            ws.transport.abort()  # no-op after a completed handshake; otherwise the socket goes now
            self.last_close = "clean" if clean else "aborted"
        # Every task of the power cycle ends here, also one that swallowed its first cancellation.
        stragglers = await aio.cancel_and_wait(self._tasks, grace=2.0, what=f"{self.id} tasks")
        late = set(self._tasks) - stragglers  # spawned while the others were ending (after-reply hooks)
        if late:
            stragglers |= await aio.cancel_and_wait(late, grace=1.0, what=f"{self.id} tasks")
        if stragglers:
            self.observer.error(self, f"internal: {len(stragglers)} task(s) did not stop")
        if self.peer is not None:
            self.peer.close()
        self.peer = None
        self.ws = None
        self._online.clear()
        self.observer.connected(self, False)

    def request_reboot(self, reason: str) -> None:
        """Restart the firmware (a real restart: new power cycle, new BootNotification)."""
        self.boot_reason = reason
        self.log.event(f"rebooting ({reason})")
        self._reboot.set()

    # --- connection ------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        s = self.settings
        base = s.integer("backoff_min", 3) * (2 ** min(attempt, s.integer("backoff_repeat", 5)))
        return base + random.uniform(0, s.integer("backoff_range", 5))

    async def _connection_loop(self) -> None:
        attempt = 0
        while True:
            await self._network.wait()
            try:
                ws = await open_connection(self)
            except (OSError, TimeoutError, InvalidStatus, ConnectionClosed, ValueError) as exc:
                if isinstance(exc, InvalidStatus) and exc.response.status_code == 401:
                    self.log.security("FailedToAuthenticateAtCsms: HTTP 401")
                self.observer.error(self, f"connect: {exc}")
                delay = self._backoff(attempt) if attempt else random.uniform(0, 1.0)
                attempt += 1
                await self._wait_network_or(delay)
                continue
            attempt = 0
            self.connects += 1
            await self._serve(ws)
            self.observer.connected(self, False)
            await self._wait_network_or(random.uniform(0.2, 1.0) * max(1, self.settings.integer("backoff_min", 3)))

    async def _wait_network_or(self, delay: float) -> None:
        """Back off for `delay` seconds, or less if the network comes back meanwhile."""
        self._retry_now.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):  # not wait_for: in 3.11 that can swallow a cancellation
                await self._retry_now.wait()

    async def _serve(self, ws: ClientConnection) -> None:
        self.ws = ws
        rpc = RpcSession(self.version, self.registry, frozenset(self.adapter.handlers))
        peer = OcppPeer(_Socket(ws, self), rpc, self._dispatch, call_timeout=self.cfg.call_timeout, label=self.id)
        self.peer = peer
        self.observer.connected(self, True)
        self.log.event(f"connected to {self.cfg.url} ({self.version.label})")
        session = self.spawn(self._session(peer))
        try:
            await peer.serve()
        except ConnectionClosed:
            pass
        finally:
            session.cancel()
            # asyncio.wait, not `await session` under suppress(CancelledError): a cancellation of this
            # task arriving meanwhile must propagate, or the station reconnects during its power-off.
            await asyncio.wait([session])
            self._online.clear()
            if self.peer is peer:
                self.peer = None
            self.ws = None
            self.log.event("disconnected")

    async def _session(self, peer: OcppPeer) -> None:
        first = self.registration != "Accepted"
        while self.registration != "Accepted":
            try:
                response = await aio.call(peer, "BootNotification", self.adapter.boot_payload(self.boot_reason))
            except (CallFailed, TimeoutError) as exc:
                self.observer.error(self, f"BootNotification: {exc}")
                await asyncio.sleep(10)
                continue
            except ConnectionLost:
                return
            self.registration = response["status"]
            self.observer.booted(self, self.registration)
            if response.get("interval"):
                self.heartbeat_interval = int(response["interval"])
            if self.registration != "Accepted":
                await asyncio.sleep(max(1, int(response.get("interval") or 10)))
        if self.heartbeat_interval and self.heartbeat_interval != self.settings.integer("heartbeat_interval"):
            self.settings.set_raw("heartbeat_interval", str(self.heartbeat_interval))
        self._online.set()
        self.queue.wake()
        if first:
            self.log.event("boot accepted")
            await self.adapter.after_boot()
            await self.firmware.after_boot()
        await self.report_all_statuses(changed_only=not first)
        while True:
            interval = self.settings.integer("heartbeat_interval", 300) or 0
            if interval <= 0:
                await asyncio.sleep(60)
                continue
            await asyncio.sleep(interval)
            await self.send("Heartbeat", {})

    async def _dispatch(self, call: InboundCall) -> dict[str, Any]:
        if self.registration == "Rejected":
            raise OcppError(ErrorKind.SECURITY, "registration rejected")
        handler = self.adapter.handlers[call.action]
        return await handler(call)

    def after(self, call: InboundCall, coro_fn: Callable[[], Awaitable[Any]]) -> None:
        """Run `coro_fn` once our answer to `call` has been sent."""
        def hook() -> None:
            self.spawn(_run(coro_fn))

        self.after_reply[call.message_id] = hook

    async def wait_online(self) -> None:
        await self._online.wait()

    async def send(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Send a non-transaction message now; offline it is dropped, as firmware does."""
        peer = self.peer
        if peer is None or peer.closed or self.registration != "Accepted":
            self.log.event(f"offline: {action} dropped")
            return None
        try:
            return await aio.call(peer, action, payload)
        except OcppError as exc:  # our own message failed its schema: a bug, never a crash
            log.error("%s: %s not sent, it fails its schema: %s", self.id, action, exc.description)
            self.observer.error(self, f"{action}: invalid ({exc.description})")
            return None
        except (CallFailed, TimeoutError, ConnectionLost) as exc:
            self.observer.error(self, f"{action}: {exc}")
            self.log.event(f"{action} failed: {exc}")
            return None

    def post(self, action: str, payload: dict[str, Any]) -> None:
        if self._powered:
            self.spawn(self.send(action, payload))

    async def security_event(self, kind: str, info: str = "") -> None:
        """SecurityEventNotification; critical ones are queued like transaction messages (A04.FR.02)."""
        self.log.security(f"{kind}: {info}")
        payload: dict[str, Any] = {"type": kind, "timestamp": format_utc(self.clock.now())}
        if info:
            payload["techInfo"] = info[:255]
        if kind in CRITICAL_EVENTS:
            self.queue.push("SecurityEventNotification", payload)
        else:
            await self.send("SecurityEventNotification", payload)

    # --- network events (scenario / tests) -------------------------------------------------
    def go_offline(self) -> None:
        """The network is cut: the socket dies without a close handshake, reconnects wait."""
        self._network.clear()
        self.log.event("network down")
        if self.ws is not None:
            self.ws.transport.abort()

    def go_online(self) -> None:
        self._network.set()
        self._retry_now.set()  # the modem reports the link: no need to sit out the back-off
        self.log.event("network up")

    async def power_cut(self, seconds: float = 0.0) -> None:
        """Lose power: nothing is sent, the transaction is ended with PowerLoss after the restart."""
        self._power_lost = True
        self.boot_reason = "PowerUp"
        self._power_restored.clear()
        self._reboot.set()
        await self.clock.sleep(seconds)
        self._power_restored.set()

    # --- physical events ---------------------------------------------------------------------
    def plug_in(self, evse_id: int, ev: Ev, connector_id: int = 1) -> None:
        evse = self.evse(evse_id)
        now = self.clock.now()
        evse.meter.advance(now)
        evse.ev = ev
        evse.plugged_connector = connector_id
        evse.finishing = False
        self.log.event(f"EV plugged into EVSE {evse_id}")
        self.transactions.evaluate(evse, "CablePluggedIn")
        self.physics(evse, now)
        self.refresh_status(evse)
        self.adapter.plugged(evse)

    def unplug(self, evse_id: int) -> None:
        evse = self.evse(evse_id)
        evse.meter.apply(self.clock.now(), evse.ev, evse.limit_w, evse.limit_a, evse.limit_phases)
        evse.ev = None
        evse.plugged_connector = None
        evse.finishing = False
        evse.meter.power_w = 0.0
        self.log.event(f"EV unplugged from EVSE {evse_id}")
        self.transactions.evaluate(evse, "EVCommunicationLost")
        if evse.tx is None and evse.authorization is None:
            evse.blocked.clear()
        self.refresh_status(evse)

    async def present_token(self, evse_id: int, value: str, token_type: str = "ISO14443") -> AuthResult:
        """A driver holds a card to the reader of `evse_id`: start or stop a session."""
        evse = self.evse(evse_id)
        token = Token(value, token_type)
        tx = evse.tx
        if tx is not None and tx.token is not None:
            owner = Token(tx.token, tx.token_type or token_type, tx.group)
            if token.key == owner.key:
                self.transactions.stop(evse, "Local", "StopAuthorized", token)
                return AuthResult("Accepted", tx.group, "local")
        result = await self.auth.authorize(token, self.online, lambda: self.adapter.authorize(token))
        if tx is not None and tx.token is not None:  # another card: same group may stop it
            if result.accepted and result.group and tx.group and result.group.casefold() == tx.group.casefold():
                self.transactions.stop(evse, "Local", "StopAuthorized", token)
            return result
        if not result.accepted:
            self.log.event(f"token {value} not accepted: {result.status}")
            self.observer.error(self, f"authorization {result.status}")
            return result
        if evse.reserved is not None and not self._reservation_matches(evse.reserved, token, result.group):
            self.log.event(f"EVSE {evse_id} is reserved for another token")
            return AuthResult("Invalid", None, "reservation")
        self.authorize_evse(evse, Token(value, token_type, result.group))
        return result

    def authorize_evse(self, evse: Evse, token: Token, remote_start_id: int | None = None) -> None:
        evse.authorization = token
        evse.remote_start_id = remote_start_id if remote_start_id is not None else evse.remote_start_id
        if not evse.plugged:
            timeout = self.settings.integer("connection_timeout", 120)
            evse.auth_deadline = self.clock.now() + timedelta(seconds=timeout)
        self.transactions.evaluate(evse, "RemoteStart" if remote_start_id is not None else "Authorized")
        self.physics(evse, self.clock.now())
        self.refresh_status(evse)

    def set_fault(self, evse_id: int, error_code: str = "GroundFailure") -> None:
        evse = self.evse(evse_id)
        evse.fault = error_code
        self.log.event(f"EVSE {evse_id} faulted: {error_code}")
        self.physics(evse, self.clock.now())
        if evse.tx is not None:
            self.transactions.stop(evse, "EmergencyStop" if not self.version.is_v2 else "GroundFault",
                                   "AbnormalCondition")
        self.refresh_status(evse)

    def clear_fault(self, evse_id: int) -> None:
        evse = self.evse(evse_id)
        evse.fault = None
        self.refresh_status(evse)
        self.transactions.evaluate(evse)

    # --- state helpers used by transactions and handlers ----------------------------------
    def save_tx(self, tx: Transaction) -> None:
        self.state.put("tx", tx.local_id, tx.to_json())

    def forget_tx(self, tx: Transaction) -> None:
        self.state.delete("tx", tx.local_id)
        for evse in self.evses:
            if evse.id == tx.evse_id:
                self._save_register(evse)

    def _save_register(self, evse: Evse) -> None:
        self.state.put("register", str(evse.id), round(evse.meter.register_wh, 3))

    def csms_tx_id(self, local_id: str) -> int | None:
        value = self.state.get("txids", local_id)
        return None if value is None else int(value)

    def may_start(self, evse: Evse) -> bool:
        """Reservations for "any EVSE" keep enough EVSEs free for their holders."""
        open_reservations = [r for r in self.reservations.values() if r.evse_id == 0]
        if not open_reservations:
            return True
        token = evse.authorization
        if token is not None and any(self._reservation_matches(r, token, token.group) for r in open_reservations):
            return True
        free = [e for e in self.evses if e.tx is None and e.available and e is not evse and not e.plugged]
        return len(free) >= len(open_reservations)

    @staticmethod
    def _reservation_matches(reservation: Reservation, token: Token, group: str | None) -> bool:
        if reservation.id_token.casefold() == token.key:
            return True
        return bool(reservation.group and group and reservation.group.casefold() == group.casefold())

    def reservation_for(self, token: Token | None, evse: Evse) -> Reservation | None:
        if token is None:
            return None
        for reservation in self.reservations.values():
            if reservation.evse_id in (0, evse.id) and self._reservation_matches(reservation, token, token.group):
                return reservation
        return None

    def add_reservation(self, reservation: Reservation) -> None:
        self.remove_reservation(reservation.id)
        self.reservations[reservation.id] = reservation
        self.state.put("reservations", str(reservation.id), reservation.to_json())
        if reservation.evse_id:
            evse = self.evse(reservation.evse_id)
            evse.reserved = reservation
            self.refresh_status(evse)

    def remove_reservation(self, reservation_id: int) -> Reservation | None:
        reservation = self.reservations.pop(reservation_id, None)
        if reservation is None:
            return None
        self.state.delete("reservations", str(reservation_id))
        for evse in self.evses:
            if evse.reserved is not None and evse.reserved.id == reservation_id:
                evse.reserved = None
                self.refresh_status(evse)
        return reservation

    def consume_reservation(self, reservation: Reservation) -> None:
        self.remove_reservation(reservation.id)

    def set_evse_operative(self, evse: Evse, operative: bool) -> None:
        evse.operative = operative
        self.state.put("evse_operative", str(evse.id), operative)
        self.physics(evse, self.clock.now())
        self.refresh_status(evse)
        if operative:
            self.transactions.evaluate(evse)

    def set_station_operative(self, operative: bool) -> None:
        self.operative = operative
        self.state.put("meta", "operative", operative)
        for evse in self.evses:
            self.refresh_status(evse)
            if operative:
                self.transactions.evaluate(evse)
        self.adapter.station_status_changed()

    def busy_evses(self) -> list[Evse]:
        return [e for e in self.evses if e.tx is not None]

    async def wait_idle(self) -> None:
        while self.busy_evses():
            self._idle.clear()
            await self._idle.wait()

    def after_transaction(self) -> None:
        if not self.busy_evses():
            self._idle.set()
            self.adapter.idle()

    def limits_changed(self) -> None:
        now = self.clock.now()
        for evse in self.evses:
            self.physics(evse, now)

    def profiles_changed(self, count: int) -> None:
        if self.device_model is not None:
            self.device_model.set_actual(station_key("SmartChargingCtrlr", "Entries", "ChargingProfiles"),
                                         str(count))

    def firmware_installed(self, version: str) -> None:
        self.state.put("meta", "firmware_version", version)

    def configuration_dump(self) -> dict[str, Any]:
        if self.configuration is not None:
            return {k["key"]: k.get("value") for k in self.configuration.get_configuration(None)["configurationKey"]}
        assert self.device_model is not None
        return {f"{e['component']['name']}.{e['variable']['name']}": e["variableAttribute"][0].get("value")
                for e in self.device_model.report("ConfigurationInventory")}

    # --- statuses --------------------------------------------------------------------------
    def statuses(self, evse: Evse) -> dict[int, str]:
        if self.version.is_v2:
            return {c: status_v2(evse, c, self.operative) for c in range(1, evse.connectors + 1)}
        return {1: status_v16(evse, self.operative)}

    def refresh_status(self, evse: Evse) -> None:
        """Send a StatusNotification for every connector whose derived status changed."""
        for connector, status in self.statuses(evse).items():
            if evse.reported.get(connector) == status:
                continue
            if self.device_model is not None:
                self.device_model.set_actual(evse_key("AvailabilityState", evse.id, connector), status)
                self.device_model.set_actual(evse_key("AvailabilityState", evse.id), status)
            if self.online:
                evse.reported[connector] = status
                self.post("StatusNotification", self.adapter.status_payload(evse, connector, status))

    async def report_all_statuses(self, changed_only: bool) -> None:
        await self.adapter.report_station_status(changed_only)
        for evse in self.evses:
            for connector, status in self.statuses(evse).items():
                if changed_only and evse.reported.get(connector) == status:
                    continue
                evse.reported[connector] = status
                await self.send("StatusNotification", self.adapter.status_payload(evse, connector, status))

    # --- the physical tick -------------------------------------------------------------------
    async def _tick_loop(self) -> None:
        tick = min(5.0, max(0.02, 30.0 / self.clock.factor))
        while True:
            now = self.clock.now()
            for evse in self.evses:
                self.physics(evse, now)
                self._timers(evse, now)
            self._aligned(now)
            self._expire_reservations(now)
            self.adapter.tick(now)
            await asyncio.sleep(tick)

    def physics(self, evse: Evse, now: datetime) -> None:
        tx = evse.tx
        closed = evse.plugged and evse.authorization is not None and evse.available and self.operative
        if closed:
            evse.limit_a, evse.limit_w, evse.limit_phases = self.smart_charging.limit(evse, now)
        else:
            evse.limit_a, evse.limit_w, evse.limit_phases = 0.0, 0.0, None
        was, last = evse.meter.power_w, evse.meter.updated
        added = evse.meter.apply(now, evse.ev if closed else None, evse.limit_w, evse.limit_a, evse.limit_phases)
        if added:
            self.observer.energy(self, added)
            if tx is not None:
                tx.energy_wh += added
        if tx is not None and was > 0:
            tx.charging_seconds += (now - (last or now)).total_seconds()
        if (was > 0) != (evse.meter.power_w > 0):
            self.transactions.evaluate(evse, "ChargingStateChanged")
            self.refresh_status(evse)
        if tx is not None and evse.tx is tx:
            if tx.last_limit_w is not None and abs((tx.last_limit_w or 0) - evse.limit_w) > 0.1 * max(
                    tx.last_limit_w, 1.0):
                self.adapter.limit_changed(evse, tx)
            tx.last_limit_w = evse.limit_w

    def _timers(self, evse: Evse, now: datetime) -> None:
        if evse.auth_deadline is not None and not evse.plugged and now >= evse.auth_deadline:
            self.log.event(f"EVSE {evse.id}: no EV connected in time, authorization dropped")
            evse.authorization = None
            evse.auth_deadline = None
            evse.remote_start_id = None
            if evse.tx is not None:
                self.transactions.stop(evse, "Timeout", "EVConnectTimeout")
            self.refresh_status(evse)
        tx = evse.tx
        interval = self.settings.integer("sample_interval", 60)
        if tx is not None and interval > 0 and tx.next_sample is not None and now >= tx.next_sample:
            if tx.next_sample > tx.started_at:
                self.adapter.periodic_sample(evse, tx)
            tx.next_sample = tx.next_sample + timedelta(seconds=interval)
            if tx.next_sample <= now:
                tx.next_sample = now + timedelta(seconds=interval)

    def _aligned(self, now: datetime) -> None:
        interval = self.settings.integer("aligned_interval", 0)
        if interval <= 0:
            self._next_aligned = None
            return
        if self._next_aligned is None:
            epoch = now.timestamp()
            self._next_aligned = datetime.fromtimestamp((epoch // interval + 1) * interval, now.tzinfo)
            return
        if now >= self._next_aligned:
            for evse in self.evses:
                self.adapter.aligned_sample(evse)
            self._next_aligned += timedelta(seconds=interval)
            if self._next_aligned <= now:
                self._next_aligned = None

    def _expire_reservations(self, now: datetime) -> None:
        for reservation in list(self.reservations.values()):
            if reservation.expiry <= now:
                self.remove_reservation(reservation.id)
                self.log.event(f"reservation {reservation.id} expired")
                self.adapter.reservation_ended(reservation, "Expired")


async def _run(coro_fn: Callable[[], Awaitable[Any]]) -> None:
    await coro_fn()

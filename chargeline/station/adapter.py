"""What both version adapters share: message helpers and the requests spelled alike.

An adapter turns the neutral station into one OCPP version: it builds every outbound
message and answers every CSMS request of that version. The handlers here exist in every
version with (nearly) the same payload.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chargeline.domain.clock import format_utc
from chargeline.ocpp.rpc import InboundCall
from chargeline.station.authorization import Token
from chargeline.station.connectors import Evse, Reservation
from chargeline.station.meter import Sample
from chargeline.station.store import QueuedMessage

if TYPE_CHECKING:
    from chargeline.station.runtime import Station
    from chargeline.station.transactions import Transaction

Handler = Callable[[InboundCall], Awaitable[dict[str, Any]]]
ECHO_MESSAGE = "Echo"


class Adapter(ABC):
    """What the 1.6 and 2.x station adapters share; each version implements the abstract parts."""

    handlers: dict[str, Handler]

    def __init__(self, station: Station):
        self.station = station
        self.pending_profiles: dict[int, Any] = {}
        self.cert_request: Any = None

    # helpers -------------------------------------------------------------------------------
    def now(self) -> str:
        return format_utc(self.station.clock.now())

    def samples(self, evse: Evse, setting: str, context: str) -> list[Sample]:
        evse.meter.advance(self.station.clock.now())
        return evse.meter.samples(self.station.settings.items(setting), context)

    @abstractmethod
    def meter_value(self, samples: list[Sample], at: datetime | None = None) -> dict[str, Any]:
        """One MeterValue in this version's shape."""

    # shared handlers ---------------------------------------------------------------------------
    async def get_log(self, call: InboundCall) -> dict[str, Any]:
        """GetLog has the same shape in the 1.6 security extension and in 2.x."""
        p = call.payload
        spec = p["log"]
        kinds = {"security"} if p["logType"] == "SecurityLog" else {"event", "frame"}
        busy = self.station.uploads.busy
        name = self.station.uploads.start(spec["remoteLocation"], kinds, spec.get("oldestTimestamp"),
                                          spec.get("latestTimestamp"), p.get("retries", 1),
                                          p.get("retryInterval", 30), p["requestId"], diagnostics=False)
        return {"status": "AcceptedCanceled" if busy else "Accepted", "filename": name}

    async def data_transfer(self, call: InboundCall) -> dict[str, Any]:
        """Our vendor id answers `Echo` (returns the data); anything else is unknown, as the spec says."""
        p = call.payload
        if p["vendorId"] != self.station.cfg.vendor:
            return {"status": "UnknownVendorId"}
        if p.get("messageId") != ECHO_MESSAGE:
            return {"status": "UnknownMessageId"}
        return {"status": "Accepted", **({"data": p["data"]} if p.get("data") is not None else {})}

    async def clear_cache(self, call: InboundCall) -> dict[str, Any]:
        return {"status": "Accepted" if self.station.auth.clear_cache() else "Rejected"}

    async def cancel_reservation(self, call: InboundCall) -> dict[str, Any]:
        removed = self.station.remove_reservation(int(call.payload["reservationId"]))
        if removed is not None:
            self.reservation_ended(removed, "Removed")
        return {"status": "Accepted" if removed is not None else "Rejected"}

    def reserve_status(self, evse_id: int, token: str, reservation_id: int) -> str:
        """ReserveNow checks shared by the versions: Accepted | Occupied | Faulted | Unavailable | Rejected."""
        st = self.station
        if evse_id == 0:
            if not st.settings.flag("reserve_connector_zero", True):
                return "Rejected"
            free = [e for e in st.evses if e.available and e.tx is None and not e.plugged and e.reserved is None]
            if not free:
                faulted = all(e.fault is not None for e in st.evses)
                return "Faulted" if faulted else "Occupied"
            return "Accepted" if st.operative else "Unavailable"
        if not st.has_evse(evse_id):
            return "Rejected"
        evse = st.evse(evse_id)
        if evse.fault is not None:
            return "Faulted"
        if not (evse.operative and st.operative):
            return "Unavailable"
        if evse.tx is not None or evse.plugged or evse.authorization is not None:
            return "Occupied"
        if evse.reserved is not None and evse.reserved.id != reservation_id:
            return "Occupied"
        return "Accepted"

    # certificate signing (A02/A03) -----------------------------------------------------------
    def start_certificate_request(self, cert_type: str | None) -> None:
        st = self.station
        if self.cert_request is not None and not self.cert_request.done():
            self.cert_request.cancel()
        self.cert_request = st.spawn(self._sign_loop(cert_type))

    async def _sign_loop(self, cert_type: str | None) -> None:
        st = self.station
        wait = max(1, st.settings.integer("cert_wait_min", 60))
        for _attempt in range(st.settings.integer("cert_repeat", 3) + 1):
            csr = st.certs.new_csr(st.cfg.serial, st.settings.text("cpo_name", st.cfg.cpo_name))
            payload: dict[str, Any] = {"csr": csr}
            if cert_type and st.version.is_v2:
                payload["certificateType"] = cert_type
            response = await st.send("SignCertificate", payload)
            if response is not None and response.get("status") != "Accepted":
                st.log.security(f"SignCertificate rejected by the CSMS: {response}")
                return
            await _sleep(wait)
            if st.state.get("identity", "pending_key") is None:
                return  # CertificateSigned arrived
            wait *= 2

    def certificate_signed(self, chain: str, invalid_event: str) -> dict[str, Any]:
        st = self.station
        ok, why = st.certs.accept_signed(chain, st.clock.now())
        if not ok:
            st.spawn(st.security_event(invalid_event, why))
            return {"status": "Rejected"}
        if self.cert_request is not None and not self.cert_request.done():
            self.cert_request.cancel()
        st.log.security("new charging station certificate installed")
        return {"status": "Accepted"}

    # hooks with no effect by default ---------------------------------------------------------
    def plugged(self, evse: Evse) -> None: ...

    def idle(self) -> None: ...

    def tick(self, now: datetime) -> None: ...

    def station_status_changed(self) -> None: ...

    def reservation_ended(self, reservation: Reservation, status: str) -> None: ...

    def limit_changed(self, evse: Evse, tx: Transaction) -> None: ...

    def resolve(self, item: QueuedMessage) -> dict[str, Any]:
        return item.payload

    def delivered(self, item: QueuedMessage, payload: dict[str, Any], response: dict[str, Any] | None) -> None: ...

    @abstractmethod
    async def authorize(self, token: Token) -> dict[str, Any] | None:
        """Ask the CSMS about `token`; the version's idTagInfo / idTokenInfo, or None when offline."""


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)

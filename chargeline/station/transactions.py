"""Transactions: when they start and stop, and what each version is told about it.

Both versions run on one rule set. 2.x names the conditions (TxStartPoint / TxStopPoint:
EVConnected, Authorized, PowerPathClosed, EnergyTransfer...): a transaction starts when a
start point becomes true and ends when a stop point that was true becomes false. OCPP 1.6
is the special case start = PowerPathClosed (plugged and authorized), stop = Authorized
(+ EVConnected when StopTransactionOnEVSideDisconnect). Explicit ends (token, remote stop,
reset, power loss, unlock) end the transaction whatever the stop points say.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chargeline.station.connectors import Evse, charging_state

if TYPE_CHECKING:
    from chargeline.station.runtime import Station

# the 2.x trigger reason that makes a condition true
TRIGGER_FOR = {"EVConnected": "CablePluggedIn", "ParkingBayOccupancy": "EVDetected", "Authorized": "Authorized",
               "DataSigned": "Authorized", "PowerPathClosed": "ChargingStateChanged",
               "EnergyTransfer": "ChargingStateChanged"}
# the stop reason when a stop point becomes false
REASON_FOR = {"EVConnected": "EVDisconnected", "ParkingBayOccupancy": "EVDisconnected",
              "Authorized": "DeAuthorized", "DataSigned": "DeAuthorized", "PowerPathClosed": "StoppedByEV",
              "EnergyTransfer": "StoppedByEV"}
END_SAMPLES_KEPT = 48


@dataclass(slots=True)
class Transaction:
    local_id: str  # 2.x transactionId; 1.6: the key of the CSMS id once known
    evse_id: int
    connector_id: int
    started_at: datetime
    meter_start_wh: float
    token: str | None = None
    token_type: str | None = None
    group: str | None = None
    seq_no: int = 0
    remote_start_id: int | None = None
    reservation_id: int | None = None
    charging_state: str | None = None
    seen: set[str] = field(default_factory=set)  # stop points that have been true
    charging_seconds: float = 0.0
    energy_wh: float = 0.0
    end_samples: list[list[dict[str, Any]]] = field(default_factory=list)  # for StopTxnSampledData
    next_sample: datetime | None = None
    last_limit_w: float | None = None
    id_token_sent: bool = False

    def next_seq(self) -> int:
        seq = self.seq_no
        self.seq_no += 1
        return seq

    def to_json(self) -> dict[str, Any]:
        return {"id": self.local_id, "evse": self.evse_id, "connector": self.connector_id,
                "started": self.started_at.isoformat(), "meter_start": self.meter_start_wh, "token": self.token,
                "type": self.token_type, "group": self.group, "seq": self.seq_no, "remote": self.remote_start_id,
                "reservation": self.reservation_id, "state": self.charging_state, "seen": sorted(self.seen),
                "charging_s": self.charging_seconds, "energy": self.energy_wh, "token_sent": self.id_token_sent}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Transaction:
        return cls(d["id"], d["evse"], d["connector"], datetime.fromisoformat(d["started"]), d["meter_start"],
                   d["token"], d["type"], d["group"], d["seq"], d["remote"], d["reservation"], d["state"],
                   set(d["seen"]), d["charging_s"], d["energy"], id_token_sent=d.get("token_sent", False))


class TransactionManager:
    def __init__(self, station: Station):
        self.station = station

    # points ----------------------------------------------------------------------------------
    def points(self) -> tuple[set[str], set[str]]:
        settings = self.station.settings
        if not self.station.version.is_v2:
            stop = {"Authorized"} | ({"EVConnected"} if settings.flag("stop_on_ev_disconnect", True) else set())
            return {"PowerPathClosed"}, stop
        start = set(settings.items("tx_start_point")) or {"PowerPathClosed"}
        stop = set(settings.items("tx_stop_point")) or {"EVConnected", "Authorized"}
        return start, stop

    def conditions(self, evse: Evse) -> set[str]:
        out: set[str] = set()
        if evse.plugged:
            out |= {"EVConnected", "ParkingBayOccupancy"}
        if evse.authorization is not None:
            out |= {"Authorized", "DataSigned"}
        if evse.plugged and evse.authorization is not None and evse.available and self.station.operative:
            out.add("PowerPathClosed")
        if evse.meter.power_w > 0:
            out.add("EnergyTransfer")
        return out

    # the rule --------------------------------------------------------------------------------
    def evaluate(self, evse: Evse, trigger: str | None = None) -> None:
        """Apply the start/stop rule after a fact changed; `trigger` is the 2.x trigger reason."""
        start, stop = self.points()
        now = self.station.clock.now()
        cond = self.conditions(evse)
        evse.blocked &= cond  # a condition that went false may start a transaction again
        tx = evse.tx
        if tx is None:
            fresh = (cond & start) - evse.blocked
            if fresh and evse.available and self.station.operative and self.station.may_start(evse):
                point = sorted(fresh)[0]
                self.start(evse, trigger or TRIGGER_FOR[point], now)
            return
        tx.seen |= cond & stop
        lost = (tx.seen & stop) - cond
        if lost:
            point = sorted(lost)[0]
            reason = REASON_FOR[point]
            self.end(evse, reason, trigger or ("EVCommunicationLost" if point == "EVConnected" else
                                               "StopAuthorized" if point == "Authorized" else "ChargingStateChanged"))
            return
        self.update_state(evse, trigger)

    def update_state(self, evse: Evse, trigger: str | None = None) -> None:
        tx = evse.tx
        if tx is None:
            return
        state = charging_state(evse)
        token_news = evse.authorization is not None and not tx.id_token_sent
        if token_news:
            auth = evse.authorization
            assert auth is not None
            tx.token, tx.token_type, tx.group = auth.value, auth.type, auth.group
        if state != tx.charging_state or token_news:
            tx.charging_state = state
            self.station.adapter.tx_updated(evse, tx, "Authorized" if token_news else
                                            (trigger if trigger in ("ChargingRateChanged",)
                                             else "ChargingStateChanged"))
            if token_news:
                tx.id_token_sent = True
            self.station.save_tx(tx)

    def start(self, evse: Evse, trigger: str, now: datetime) -> Transaction:
        st = self.station
        evse.meter.advance(now)
        auth = evse.authorization
        reservation = evse.reserved or st.reservation_for(auth, evse)
        tx = Transaction(str(uuid.uuid4()), evse.id, evse.plugged_connector or 1, now, evse.meter.register_wh,
                         auth.value if auth else None, auth.type if auth else None, auth.group if auth else None,
                         remote_start_id=evse.remote_start_id, reservation_id=reservation.id if reservation else None)
        tx.charging_state = charging_state(evse)
        tx.next_sample = now
        tx.id_token_sent = auth is not None
        evse.tx = tx
        evse.finishing = False
        evse.auth_deadline = None
        if reservation is not None:
            st.consume_reservation(reservation)
        st.log.event(f"transaction {tx.local_id} started on EVSE {evse.id} ({trigger})")
        st.save_tx(tx)
        st.adapter.tx_started(evse, tx, trigger)
        st.observer.tx_started(st)
        st.refresh_status(evse)
        return tx

    def end(self, evse: Evse, reason: str, trigger: str, stopped_by: Any = None) -> None:
        """End the EVSE's transaction. `stopped_by` is the Token that ended it, if any."""
        st = self.station
        tx = evse.tx
        if tx is None:
            return
        now = st.clock.now()
        evse.meter.apply(now, evse.ev, evse.limit_w, evse.limit_a, evse.limit_phases)
        tx.charging_state = charging_state(evse) if evse.plugged else "Idle"
        evse.tx = None
        start, _ = self.points()
        evse.blocked = self.conditions(evse) & start
        evse.authorization = None
        evse.remote_start_id = None
        evse.finishing = evse.plugged
        st.physics(evse, now)  # the contactor opens: no energy flows after the end
        st.adapter.tx_ended(evse, tx, reason, trigger, stopped_by)
        st.forget_tx(tx)
        st.log.event(f"transaction {tx.local_id} ended on EVSE {evse.id}: {reason}, "
                     f"{evse.meter.register_wh - tx.meter_start_wh:.0f} Wh")
        st.observer.tx_ended(st, evse.meter.register_wh - tx.meter_start_wh)
        st.smart_charging.transaction_ended(evse.id, tx)
        if evse.scheduled_operative is not None:
            st.set_evse_operative(evse, evse.scheduled_operative)
            evse.scheduled_operative = None
        st.refresh_status(evse)
        st.after_transaction()

    def stop(self, evse: Evse, reason: str, trigger: str, stopped_by: Any = None) -> bool:
        """An explicit end (token, remote, reset, unlock...): always ends the transaction."""
        if evse.tx is None:
            return False
        self.end(evse, reason, trigger, stopped_by)
        return True

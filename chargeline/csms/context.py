"""What a handler knows about the station and the message it is handling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from chargeline.domain.clock import utcnow
from chargeline.domain.meter import RunningEnergy
from chargeline.ocpp.versions import OcppVersion

if TYPE_CHECKING:
    from chargeline.csms.app import Csms
    from chargeline.net.peer import OcppPeer


@dataclass(slots=True)
class StationSession:
    """One authenticated connection of a station."""

    station_id: str  # casefolded key
    display_id: str
    version: OcppVersion
    remote: str
    boot_status: str | None
    connected_at: datetime = field(default_factory=utcnow)
    peer: OcppPeer | None = None
    # running sessions by EVSE, loaded at connection and kept by the transaction handlers, so
    # that meter values are linked without a database read
    active_tx: dict[int, int] = field(default_factory=dict)
    # the energy of the sessions started on this connection, by transaction id
    running_energy: dict[int, RunningEnergy] = field(default_factory=dict)


@dataclass(slots=True)
class Ctx:
    csms: Csms
    station: StationSession
    received_at: datetime

"""A charging station for OCPP 1.6J, 2.0.1 and 2.1 on the same protocol core as the CSMS.

`Station` behaves like charger firmware (configuration / device model, transactions, meter,
offline queue, every CSMS request of its version); `Simulator` runs thousands of them with
EV arrivals, scenarios and live progress. See docs/station.md.
"""

from chargeline.station.clock import SimClock
from chargeline.station.config import StationConfig
from chargeline.station.ev import Ev
from chargeline.station.runtime import Station, StationObserver
from chargeline.station.store import StateDb

__all__ = ["Ev", "SimClock", "StateDb", "Station", "StationConfig", "StationObserver"]

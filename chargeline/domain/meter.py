"""Meter samples: unit normalisation and session energy that survives register quirks.

Chargers report the energy register as a lifetime total, per session, or reset on reboot,
in Wh or kWh with multipliers (FIELD-NOTES: Meter values). Energy is summed from
non-negative steps; a backwards step is a reset, and a step no charger could deliver is
flagged and left out instead of being taken as truth.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

ENERGY_REGISTER = "Energy.Active.Import.Register"
# Larger units -> (base unit, factor).
_SCALE = {"kWh": ("Wh", 1000.0), "kW": ("W", 1000.0), "kvarh": ("varh", 1000.0), "kvar": ("var", 1000.0),
          "kVAh": ("VAh", 1000.0), "kVA": ("VA", 1000.0)}
MAX_PLAUSIBLE_POWER_W = 1_000_000.0  # no single connector delivers a megawatt
STEP_SLACK_WH = 1000.0  # tolerance for coarse or skewed timestamps
ENERGY_FLAGS = frozenset({"register_reset", "implausible_step"})  # what session_energy may report


class Sample(NamedTuple):
    """One sampled value (a named tuple: several are built for every MeterValues message)."""

    timestamp: datetime
    measurand: str
    value: float | None  # normalised to the base unit; None for signed-only data
    raw_value: str
    unit: str | None
    phase: str | None = None
    location: str | None = None
    context: str | None = None
    signed_data: str | None = None


def normalise(value: float, unit: str | None, multiplier: int = 0) -> tuple[float, str | None]:
    value = value * (10.0 ** multiplier) if multiplier else value
    if unit in _SCALE:
        base, factor = _SCALE[unit]
        return value * factor, base
    return value, unit


def samples_v16(meter_value: dict[str, Any], timestamp: datetime) -> list[Sample]:
    out = []
    for sv in meter_value.get("sampledValue", []):
        measurand = sv.get("measurand", ENERGY_REGISTER)
        raw = sv["value"]
        signed = sv.get("format") == "SignedData"
        value: float | None = None
        unit = sv.get("unit", "Wh" if measurand.startswith("Energy") else None)
        if not signed:
            try:
                value, unit = normalise(float(raw), unit)
            except ValueError:
                value = None
        out.append(Sample(timestamp, measurand, value, "" if signed else raw[:60], unit, sv.get("phase"),
                          sv.get("location"), sv.get("context"), raw if signed else None))
    return out


def samples_v2(meter_value: dict[str, Any], timestamp: datetime) -> list[Sample]:
    out = []
    for sv in meter_value.get("sampledValue", []):
        measurand = sv.get("measurand", ENERGY_REGISTER)
        uom = sv.get("unitOfMeasure") or {}
        unit = uom.get("unit", "Wh" if measurand.startswith("Energy") else None)
        value, unit = normalise(float(sv["value"]), unit, int(uom.get("multiplier", 0)))
        signed = sv.get("signedMeterValue")
        out.append(Sample(timestamp, measurand, value, repr(sv["value"])[:60], unit, sv.get("phase"),
                          sv.get("location"), sv.get("context"),
                          signed.get("signedMeterData") if isinstance(signed, dict) else None))
    return out


def is_session_register(sample: Sample) -> bool:
    """The whole-EVSE import register, the one session energy is computed from."""
    return (sample.measurand == ENERGY_REGISTER and sample.phase is None and sample.value is not None
            and sample.location in (None, "Outlet"))


@dataclass(slots=True)
class Energy:
    wh: float = 0.0
    flags: list[str] = field(default_factory=list)


def session_energy(readings: list[tuple[datetime, float]]) -> Energy:
    """Energy from register readings (time, Wh), robust to resets and impossible jumps."""
    result = Energy()
    ordered = sorted(readings, key=lambda r: r[0])
    for earlier, later in itertools.pairwise(ordered):
        _add_step(result, earlier, later)
    return result


def _add_step(result: Energy, earlier: tuple[datetime, float], later: tuple[datetime, float]) -> None:
    (t0, v0), (t1, v1) = earlier, later
    seconds = max((t1 - t0).total_seconds(), 0.0)
    limit = MAX_PLAUSIBLE_POWER_W * seconds / 3600.0 + STEP_SLACK_WH
    step = v1 - v0
    if step < 0:
        _flag(result, "register_reset")
        step = v1  # the register restarted from zero
    if step > limit:
        _flag(result, "implausible_step")
        return
    result.wh += step


class RunningEnergy:
    """`session_energy` kept up to date as a session's register readings are stored, in constant memory.

    For a session that started on this connection: a 1.6 StopTransaction and every 2.x
    TransactionEvent take its energy from here instead of reading every sample of it back.
    Readings must come in time order (the usual case); one older than the last makes the result
    unknown here (`in_order` false) and the energy is read from the database, as it is for a
    session that began on another connection. A reading of the same time and identity as one
    already counted is the same stored sample (a repeated message) and counts once; readings of
    one instant count in the order they were stored, as the database returns them.
    """

    __slots__ = ("energy", "in_order", "last", "last_keys", "readings", "version", "writing")

    def __init__(self, start: tuple[datetime, float] | None = None):
        self.energy = Energy()
        self.last = start
        self.last_keys: set[str] = set()  # identities of the readings counted at the last instant
        self.readings = 0 if start is None else 1
        self.in_order = True
        self.writing = 0  # inserts of this session's samples not yet committed
        self.version = 0  # counts `add`s: a copy made from an older version is stale

    @staticmethod
    def of(readings: list[tuple[datetime, str, float]]) -> RunningEnergy:
        """The sum over readings stored together, in any order (they count as sorted by time)."""
        running = RunningEnergy()
        running.add(sorted(readings, key=lambda r: r[0]))
        return running

    def copy(self) -> RunningEnergy:
        other = RunningEnergy()
        other.energy = Energy(self.energy.wh, list(self.energy.flags))
        other.last, other.last_keys, other.readings = self.last, set(self.last_keys), self.readings
        other.in_order = self.in_order
        return other

    def add(self, readings: list[tuple[datetime, str, float]]) -> None:
        """Count (time, identity, Wh) readings, in the order they are stored."""
        self.version += 1
        for at, key, value in readings:
            last = self.last
            if last is None:
                self.last_keys = {key}
            elif at > last[0]:
                self.last_keys = {key}
                _add_step(self.energy, last, (at, value))
            elif at == last[0] and key not in self.last_keys:
                self.last_keys.add(key)
                _add_step(self.energy, last, (at, value))
            elif at == last[0]:
                continue  # stored once already
            else:
                self.in_order = False
                return
            self.last = (at, value)
            self.readings += 1

    def ended(self, readings: list[tuple[datetime, str, float]], stop: tuple[datetime, float]) -> Energy | None:
        """The energy with the Stop's own readings and its meter stop (None: not known here)."""
        final = self.copy()
        final.add([*readings, (stop[0], STOP_READING, stop[1])])
        return final.energy if final.in_order and final.readings >= 2 else None


# not sample identities: the meter start counts before the samples of its instant, the stop after
START_READING, STOP_READING = "\0start", "\0stop"


def _flag(result: Energy, flag: str) -> None:
    if flag not in result.flags:
        result.flags.append(flag)

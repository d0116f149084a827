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


class SessionReadings:
    """The register readings of a session that started on this connection, as they were committed.

    StopTransaction computes the session's energy from these instead of reading every sample of
    the session back. They are complete only while every sample of the session came through this
    connection: a session started before it (a reconnect, another node) has none, and a write
    whose outcome is unknown discards them; either way the energy is read from the database.
    Keyed as the database keeps samples unique (time and what the sample is), so a repeated
    sample counts once, in the order it was first stored.
    """

    __slots__ = ("readings", "writing")

    def __init__(self) -> None:
        self.readings: dict[tuple[datetime, str], tuple[datetime, float]] = {}
        self.writing = 0  # inserts of this session's samples not yet committed

    def add(self, entries: list[tuple[tuple[datetime, str], tuple[datetime, float]]]) -> None:
        readings = self.readings
        for key, reading in entries:
            readings.setdefault(key, reading)


@dataclass(slots=True)
class Energy:
    wh: float = 0.0
    flags: list[str] = field(default_factory=list)


def session_energy(readings: list[tuple[datetime, float]]) -> Energy:
    """Energy from register readings (time, Wh), robust to resets and impossible jumps."""
    result = Energy()
    ordered = sorted(readings, key=lambda r: r[0])
    for (t0, v0), (t1, v1) in itertools.pairwise(ordered):
        seconds = max((t1 - t0).total_seconds(), 0.0)
        limit = MAX_PLAUSIBLE_POWER_W * seconds / 3600.0 + STEP_SLACK_WH
        step = v1 - v0
        if step < 0:
            _flag(result, "register_reset")
            step = v1  # the register restarted from zero
        if step > limit:
            _flag(result, "implausible_step")
            continue
        result.wh += step
    return result


def _flag(result: Energy, flag: str) -> None:
    if flag not in result.flags:
        result.flags.append(flag)

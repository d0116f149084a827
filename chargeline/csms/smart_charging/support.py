"""What each station accepts, and how it is therefore steered (FIELD-NOTES: "Smart charging in the field").

Vendors reject profiles others accept: some refuse limit 0, some support only A or only W, some
need a TxDefaultProfile rather than a TxProfile, some do not support smart charging at all. Every
answer is recorded per station and variant; the way of steering it (`Strategy`) falls back along
a fixed ladder when a variant keeps being rejected:

* a limit: TxProfile in the preferred unit -> the other unit -> an EVSE TxDefaultProfile (both
  units) -> not controllable (counted at its maximum, never sent profiles again);
* a pause: limit 0 -> a small limit (the EV stops below 6 A) -> ChangeAvailability Inoperative.

A rejection that names its reason (2.x `statusInfo.reasonCode`) is acted on at once when the
reason is the unit; a bare "Rejected" (1.6) only after it repeats, so a transient refusal (a
TxProfile racing the StartTransaction answer) does not demote a station for good. `TxNotFound`
is never held against the station.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

TRANSIENT_REASONS = frozenset({"TxNotFound", "RateLimitExceeded"})
UNIT_REASONS = frozenset({"UnsupportedRateUnit"})
LIMIT_LADDER_AC = (("TxProfile", "A"), ("TxProfile", "W"), ("TxDefaultProfile", "A"), ("TxDefaultProfile", "W"))
LIMIT_LADDER_DC = (("TxProfile", "W"), ("TxProfile", "A"), ("TxDefaultProfile", "W"), ("TxDefaultProfile", "A"))
PAUSE_LADDER = ("zero", "small", "availability")


@dataclass(slots=True)
class Strategy:
    """How limits reach this station."""

    purpose: str = "TxProfile"  # or TxDefaultProfile (on the EVSE, not tied to the transaction)
    unit: str = "A"
    pause: str = "zero"  # zero | small | availability | none (cannot be paused: counted at its limit)
    controllable: bool = True
    failsafe: bool = True  # False: the station refused the failsafe TxDefault in both units

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Strategy:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(slots=True)
class Outcome:
    accepted: int = 0
    rejected: int = 0
    consecutive: int = 0  # rejections in a row
    last_status: str | None = None
    last_reason: str | None = None
    last_at: str | None = None


@dataclass(slots=True)
class StationSupport:
    strategy: Strategy = field(default_factory=Strategy)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    dc: bool = False
    patience: int = 2  # bare rejections in a row before falling back

    @classmethod
    def new(cls, dc: bool, patience: int = 2) -> StationSupport:
        return cls(Strategy(unit="W" if dc else "A"), {}, dc, max(1, patience))

    @classmethod
    def load(cls, strategy: dict[str, Any], outcomes: dict[str, Any], dc: bool, patience: int = 2) -> StationSupport:
        return cls(Strategy.from_dict(strategy), {k: Outcome(**v) for k, v in outcomes.items()}, dc, max(1, patience))

    def outcomes_dict(self) -> dict[str, Any]:
        return {k: asdict(v) for k, v in self.outcomes.items()}

    def _known_bad(self, variant: str) -> bool:
        """Never accepted, and refused for its unit or often enough in a row."""
        outcome = self.outcomes.get(variant)
        if outcome is None or outcome.accepted > 0:
            return False
        return outcome.consecutive >= self.patience or outcome.last_reason in UNIT_REASONS or (
            outcome.last_status == "NotSupported")

    def record(self, variant: str, status: str, reason: str | None, at: datetime) -> bool:
        """Record an answer to `variant`; returns True when the strategy changed (so the call is worth retrying).

        `status`: Accepted, Rejected, NotSupported (1.6 status or a 2.x CALLERROR NotSupported /
        NotImplemented), or NoAnswer (timeout, lost connection: says nothing about the station).
        """
        if status == "NoAnswer":
            return False
        outcome = self.outcomes.setdefault(variant, Outcome())
        outcome.last_status, outcome.last_reason, outcome.last_at = status, reason, at.isoformat()
        if status == "Accepted":
            outcome.accepted += 1
            outcome.consecutive = 0
            return False
        if status == "NotSupported":
            outcome.rejected += 1
            if self.strategy.controllable:
                self.strategy.controllable = False
                return True
            return False
        if reason in TRANSIENT_REASONS:
            return False
        outcome.rejected += 1
        outcome.consecutive += 1
        if reason not in UNIT_REASONS and outcome.consecutive < self.patience:
            return False
        return self._fall_back(variant, reason)

    def _fall_back(self, variant: str, reason: str | None) -> bool:
        kind = variant.partition(":")[0]
        s = self.strategy
        if kind == "limit":
            ladder = LIMIT_LADDER_DC if self.dc else LIMIT_LADDER_AC
            current = (s.purpose, s.unit)
            start = ladder.index(current) + 1 if current in ladder else 0
            for purpose, unit in ladder[start:]:
                if reason in UNIT_REASONS and unit == s.unit:
                    continue
                if not self._known_bad(f"limit:{purpose}/{unit}"):
                    s.purpose, s.unit = purpose, unit
                    return True
            s.controllable = False
            return True
        if kind == "pause":
            order = list(PAUSE_LADDER)
            index = order.index(s.pause) + 1 if s.pause in order else len(order)
            if index < len(order):
                s.pause = order[index]
            else:
                s.pause = "none"
            return True
        if kind == "failsafe":
            if self.failsafe_unit() is not None:
                return True  # the caller retries in the other unit
            s.failsafe = False
            return True
        return False

    def failsafe_unit(self) -> str | None:
        """The unit to send the failsafe in: the strategy's, else the other one, else None (both refused)."""
        first = self.strategy.unit
        for unit in (first, "W" if first == "A" else "A"):
            if not self._known_bad(f"failsafe:{unit}"):
                return unit
        return None

    def limit_variant(self) -> str:
        return f"limit:{self.strategy.purpose}/{self.strategy.unit}"

    def pause_variant(self) -> str:
        return f"pause:{self.strategy.pause}"

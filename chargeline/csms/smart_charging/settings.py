"""Tunables of central smart charging.

`smart_charging` (on/off) and `smart_charging_interval` are ordinary CSMS settings (command line,
environment, TOML). The finer knobs below are read like the API's (`Settings.extra`, then
`CHARGELINE_SC_<NAME>` environment variables, then the defaults), so a site can be tuned without a
code change and tests can shorten the timers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

from chargeline.config import Settings


@dataclass(frozen=True, slots=True)
class SmartChargingSettings:
    enabled: bool = True
    interval_s: float = 60.0  # periodic reallocation (brief §4.4: every 60-300 s)
    debounce_s: float = 0.5  # events arriving together share one round
    # hysteresis (brief §4.4): a change is sent only when it is at least max(A, ratio x old) per phase
    hysteresis_a: float = 1.0
    hysteresis_w: float = 700.0  # DC, and W-only stations
    hysteresis_ratio: float = 0.05
    increase_rounds: int = 2  # an increase must be wanted this many rounds in a row before it is sent
    # EVSEs and EVs we know nothing about
    evse_max_a: float = 32.0
    evse_max_w_dc: float = 50_000.0
    dc_min_w: float = 0.0
    # profiles
    profile_id_base: int = 90_000  # failsafe = base, TxProfile = base + 1000 + evse, EVSE default = base + 2000 + evse
    failsafe_stack_level: int = 0
    tx_stack_level: int = 1
    evse_default_stack_level: int = 1  # must differ from the failsafe's (K01.FR.52/53)
    max_periods: int = 24  # price plans are cut here (stations advertise 24-48 periods)
    pause_limit_a: float = 1.0  # "small limit" for stations that refuse 0 (an EV stops below 6 A)
    pause_limit_w: float = 100.0
    rejections_before_fallback: int = 2  # plain "Rejected" (no reason) this many times in a row -> fallback
    # commands and checks
    command_timeout_s: float = 15.0  # a silent station holds up its site's round at most this long per call
    report_timeout_s: float = 15.0  # waiting for ReportChargingProfiles parts
    verify_on_connect: bool = True
    verify_min_interval_s: float = 900.0
    # load history
    load_sample_s: float = 60.0  # at most one stored load sample per site this often (0: every round)
    measured_stale_s: float = 900.0  # a session's last power reading counts this long

    @classmethod
    def load(cls, settings: Settings, environ: dict[str, str] | None = None) -> SmartChargingSettings:
        environ = dict(os.environ) if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in ("enabled", "interval_s"):
                continue
            raw = settings.extra.get(f"smart_charging_{f.name}", environ.get(f"CHARGELINE_SC_{f.name.upper()}"))
            if raw is not None:
                values[f.name] = _coerce(type(getattr(cls(), f.name)), raw)
        values["enabled"] = bool(getattr(settings, "smart_charging", True))
        values["interval_s"] = float(getattr(settings, "smart_charging_interval", 60.0))
        return replace(cls(), **values)

    @property
    def failsafe_id(self) -> int:
        return self.profile_id_base

    def tx_profile_id(self, evse_id: int) -> int:
        return self.profile_id_base + 1000 + evse_id

    def evse_default_id(self, evse_id: int) -> int:
        return self.profile_id_base + 2000 + evse_id

    def ours(self, profile_id: int) -> bool:
        """Ids this service manages (anything else was set by someone else and is left alone)."""
        return self.profile_id_base <= profile_id < self.profile_id_base + 3000


def _coerce(kind: type, raw: Any) -> Any:
    if kind is bool and isinstance(raw, str):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return kind(raw)

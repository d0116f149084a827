"""Settings for `chargeline serve`: defaults < TOML file < CHARGELINE_* environment < command line."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = 9000
    api_port: int = 8080
    database: str = "sqlite:///chargeline.db"
    allow_unknown_stations: bool = False
    ocpp_path: str = "/ocpp/"
    # OCPP behaviour
    heartbeat_interval: int = 300
    heartbeat_jitter: float = 0.1  # +-10 % spreads the heartbeats of a reconnect storm
    call_timeout: float = 30.0
    clock_skew_threshold: float = 300.0
    auto_close_stale_transactions: bool = True
    accept_hex_authorization_key: bool = True  # 1.6 stations that send the key as hex text
    # connections
    ping_interval: float = 30.0
    ping_timeout: float = 30.0
    max_message_size: int = 1 << 20
    open_timeout: float = 10.0
    auth_failures_per_minute: int = 5
    # storage
    max_batch: int = 1000
    log_frames: bool = True
    # frames reach the message log at most this many seconds late: each station's log pages are then
    # written once per interval, not once per commit (a crash loses at most this much of the raw log,
    # never what was acknowledged)
    log_frames_interval: float = 0.25
    # where the message log is kept: default a file beside a SQLite database (chargeline-messages.db),
    # or the main PostgreSQL database; written by a process of its own (store/log_writer.py)
    message_log_database: str = ""
    log_level: str = "info"
    # process: a full garbage-collection sweep every N seconds (the one collector pause; gc_policy.py)
    gc_sweep_interval: float = 600.0
    # central smart charging (chargeline/csms/smart_charging; finer knobs: CHARGELINE_SC_* variables)
    smart_charging: bool = True
    smart_charging_interval: float = 60.0  # seconds between periodic allocation rounds
    config_file: str = ""  # the TOML file the settings came from (set by load_settings; its [[sites]] are read)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "extra"]


def _coerce(name: str, raw: Any) -> Any:
    kind = type(getattr(Settings(), name))
    if kind is bool and isinstance(raw, str):
        lowered = raw.strip().lower()
        if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"{name}: expected a boolean, got {raw!r}")
        return lowered in ("1", "true", "yes", "on")
    try:
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected {kind.__name__}, got {raw!r}") from exc


def load_settings(config_file: str | os.PathLike[str] | None = None, overrides: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Merge the sources; `overrides` (command-line values) win, None means "not given"."""
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, Any] = {}
    config_file = config_file or environ.get("CHARGELINE_CONFIG")
    if config_file:
        data = tomllib.loads(Path(config_file).read_text())
        section = data.get("chargeline", data)
        unknown = set(section) - set(Settings.names()) - {"sites", "stations"}
        if unknown:
            raise ValueError(f"unknown settings in {config_file}: {', '.join(sorted(unknown))}")
        values.update({k: _coerce(k, v) for k, v in section.items() if k in Settings.names()})
        values["config_file"] = str(config_file)
    for name in Settings.names():
        raw = environ.get(f"CHARGELINE_{name.upper()}")
        if raw is not None:
            values[name] = _coerce(name, raw)
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce(name, value)
    return replace(Settings(), **values)

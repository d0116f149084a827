"""What a station is: identity, hardware (EVSEs, connectors, AC/DC ratings), meter, network.

A `StationConfig` is the factory data of a charger. Run-time settings (heartbeat, meter
sampling, offline rules...) live in the 1.6 configuration keys or the 2.x device model and
can be overridden per station with `settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chargeline.ocpp.versions import OcppVersion

AC_CONNECTOR_TYPES = ("cType2", "sType2", "cType1", "cG105", "s309-1P-16A", "s309-3P-32A")
DC_CONNECTOR_TYPES = ("cCCS2", "cCCS1", "cG105", "cTesla", "cChaoJi")


@dataclass(frozen=True, slots=True)
class StationConfig:
    """Factory data of one station. `evses` x `connectors_per_evse` connectors."""

    station_id: str
    url: str = "ws://127.0.0.1:9000/ocpp/"  # the station id is appended
    version: OcppVersion = OcppVersion.V16
    vendor: str = "Chargeline"
    model: str = "CL-AC22"
    serial_number: str = ""
    firmware_version: str = "1.0.0"
    evses: int = 1
    connectors_per_evse: int = 1
    connector_type: str = "cType2"
    current_type: str = "AC"  # "AC" or "DC"
    phases: int = 3
    max_current_a: float = 32.0  # per phase, AC
    max_power_w: float = 0.0  # DC rating; AC: derived from voltage x phases x current when 0
    voltage: float = 230.0
    meter_type: str = "CL-MID-3P"
    meter_serial: str = ""
    iccid: str | None = None
    imsi: str | None = None
    # security
    password: str | None = None  # profiles 1 and 2 (1.6: the AuthorizationKey, text or hex)
    security_profile: int = 0
    ca_file: str | None = None  # trust anchors for wss:// (profile 2 and 3)
    client_cert: str | None = None  # profile 3: PEM certificate (chain) and key files
    client_key: str | None = None
    cpo_name: str = "Chargeline CPO"
    # behaviour
    settings: dict[str, str] = field(default_factory=dict)  # 1.6 key or "Component.Variable" -> value
    call_timeout: float = 30.0
    log_buffer: int = 2000  # log records kept for GetDiagnostics / GetLog

    def __post_init__(self) -> None:
        if self.current_type not in ("AC", "DC"):
            raise ValueError(f"current_type must be AC or DC, not {self.current_type!r}")
        if self.evses < 1 or self.connectors_per_evse < 1:
            raise ValueError("a station needs at least one EVSE with one connector")
        if not 1 <= self.phases <= 3:
            raise ValueError("phases must be 1, 2 or 3")
        if self.security_profile not in (0, 1, 2, 3):
            raise ValueError("security_profile must be 0..3")

    @property
    def dc(self) -> bool:
        return self.current_type == "DC"

    @property
    def rated_power_w(self) -> float:
        if self.max_power_w:
            return self.max_power_w
        return self.voltage * self.phases * self.max_current_a

    @property
    def serial(self) -> str:
        return self.serial_number or f"SN-{self.station_id}"

    def layout(self) -> list[int]:
        """Connectors per EVSE. 1.6 has no EVSEs: every connector is its own (connectorId = EVSE id)."""
        if self.version is OcppVersion.V16:
            return [1] * (self.evses * self.connectors_per_evse)
        return [self.connectors_per_evse] * self.evses

    def with_overrides(self, **changes: Any) -> StationConfig:
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict[str, Any], **defaults: Any) -> StationConfig:
        """Build from a TOML table (snake_case keys as above; `ocpp` = '1.6' | '2.0.1' | '2.1')."""
        values: dict[str, Any] = dict(defaults)
        for key, value in data.items():
            if key in ("ocpp", "version"):
                values["version"] = value if isinstance(value, OcppVersion) else OcppVersion.parse(str(value))
            elif key == "id":
                values["station_id"] = str(value)
            elif key in cls.__dataclass_fields__:
                values[key] = value
            elif key not in ("count", "id_prefix"):
                raise ValueError(f"unknown station setting {key!r}")
        if "settings" in values:
            values["settings"] = {str(k): _text(v) for k, v in dict(values["settings"]).items()}
        return cls(**values)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def state_path(path: str | Path | None) -> str:
    return ":memory:" if path is None else str(path)

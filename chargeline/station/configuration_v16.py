"""OCPP 1.6 configuration keys: types, read-only and reboot-required flags, vendor keys.

GetConfiguration / ChangeConfiguration answer from here (OCPP 1.6 §9 and the security
whitepaper's keys). Values the CSMS changes are persisted; a key flagged reboot-required is
stored at once but takes effect at the next boot, as firmware does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chargeline.station.config import StationConfig
from chargeline.station.measurands import supported
from chargeline.station.settings import NAMES, Settings
from chargeline.station.store import StationState

FEATURE_PROFILES = "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
MAX_VALUE_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    kind: str  # int | bool | csl | str | hexkey
    default: str
    readonly: bool = False
    reboot: bool = False
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None  # allowed CSL members / values
    max_items: int | None = None
    write_only: bool = False
    vendor: bool = False


def catalog(cfg: StationConfig) -> dict[str, Key]:
    """Every key this station knows, with its factory default."""
    measurands = supported(cfg.dc)
    n = len(cfg.layout())
    keys = [
        # Core
        Key("AllowOfflineTxForUnknownId", "bool", "false"),
        Key("AuthorizationCacheEnabled", "bool", "true"),
        Key("AuthorizeRemoteTxRequests", "bool", "false"),
        Key("BlinkRepeat", "int", "3", minimum=0),
        Key("ClockAlignedDataInterval", "int", "0", minimum=0),
        Key("ConnectionTimeOut", "int", "120", minimum=1),
        Key("ConnectorPhaseRotation", "csl", ",".join(f"{i}.RST" for i in range(n + 1))),
        Key("ConnectorPhaseRotationMaxLength", "int", str(n + 1), readonly=True),
        Key("GetConfigurationMaxKeys", "int", "100", readonly=True),
        Key("HeartbeatInterval", "int", "300", minimum=0),
        Key("LightIntensity", "int", "50", minimum=0, maximum=100),
        Key("LocalAuthorizeOffline", "bool", "true"),
        Key("LocalPreAuthorize", "bool", "false"),
        Key("MaxEnergyOnInvalidId", "int", "0", minimum=0),
        Key("MeterValuesAlignedData", "csl", "Energy.Active.Import.Register", choices=measurands, max_items=8),
        Key("MeterValuesAlignedDataMaxLength", "int", "8", readonly=True),
        Key("MeterValuesSampledData", "csl", "Energy.Active.Import.Register,Power.Active.Import,Current.Import"
            + (",SoC" if cfg.dc else ""), choices=measurands, max_items=8),
        Key("MeterValuesSampledDataMaxLength", "int", "8", readonly=True),
        Key("MeterValueSampleInterval", "int", "60", minimum=0),
        Key("MinimumStatusDuration", "int", "0", minimum=0),
        Key("NumberOfConnectors", "int", str(n), readonly=True),
        Key("ResetRetries", "int", "2", minimum=0),
        Key("StopTransactionOnEVSideDisconnect", "bool", "true"),
        Key("StopTransactionOnInvalidId", "bool", "true"),
        Key("StopTxnAlignedData", "csl", "", choices=measurands, max_items=8),
        Key("StopTxnAlignedDataMaxLength", "int", "8", readonly=True),
        Key("StopTxnSampledData", "csl", "", choices=measurands, max_items=8),
        Key("StopTxnSampledDataMaxLength", "int", "8", readonly=True),
        Key("SupportedFeatureProfiles", "csl", FEATURE_PROFILES, readonly=True),
        Key("SupportedFeatureProfilesMaxLength", "int", "6", readonly=True),
        Key("TransactionMessageAttempts", "int", "3", minimum=0),
        Key("TransactionMessageRetryInterval", "int", "30", minimum=0),
        Key("UnlockConnectorOnEVSideDisconnect", "bool", "true"),
        Key("WebSocketPingInterval", "int", "30", minimum=0, reboot=True),
        # Local auth list management
        Key("LocalAuthListEnabled", "bool", "true"),
        Key("LocalAuthListMaxLength", "int", "1000", readonly=True),
        Key("SendLocalListMaxLength", "int", "250", readonly=True),
        # Reservation
        Key("ReserveConnectorZeroSupported", "bool", "true", readonly=True),
        # Smart charging
        Key("ChargeProfileMaxStackLevel", "int", "10", readonly=True),
        Key("ChargingScheduleAllowedChargingRateUnit", "csl", "Current,Power", readonly=True),
        Key("ChargingScheduleMaxPeriods", "int", "48", readonly=True),
        Key("ConnectorSwitch3to1PhaseSupported", "bool", "false", readonly=True),
        Key("MaxChargingProfilesInstalled", "int", "20", readonly=True),
        # Security whitepaper
        Key("AdditionalRootCertificateCheck", "bool", "false", readonly=True),
        Key("AuthorizationKey", "hexkey", "", write_only=True),
        Key("CertificateSignedMaxChainSize", "int", "10000", readonly=True),
        Key("CertificateStoreMaxLength", "int", "20", readonly=True),
        Key("CpoName", "str", cfg.cpo_name),
        Key("SecurityProfile", "int", str(cfg.security_profile), minimum=0, maximum=3),
        # Vendor keys: reconnect back-off and certificate renewal (2.x has standard variables for these)
        Key("ChargelineRetryBackOffWaitMinimum", "int", "3", minimum=0, vendor=True),
        Key("ChargelineRetryBackOffRandomRange", "int", "5", minimum=0, vendor=True),
        Key("ChargelineRetryBackOffRepeatTimes", "int", "5", minimum=0, vendor=True),
        Key("ChargelineCertSigningWaitMinimum", "int", "60", minimum=1, vendor=True),
        Key("ChargelineCertSigningRepeatTimes", "int", "3", minimum=0, vendor=True),
        Key("ChargelineMeterType", "str", cfg.meter_type, readonly=True, vendor=True),
    ]
    return {k.name: k for k in keys}


class ConfigurationV16(Settings):
    """The configuration store of a 1.6 station (values persisted in namespace `config`)."""

    def __init__(self, cfg: StationConfig, state: StationState):
        self.keys = catalog(cfg)
        self.state = state
        self._values: dict[str, str] = {name: key.default for name, key in self.keys.items()}
        for name, value in cfg.settings.items():  # factory overrides from the station config
            if name in self.keys:
                self._values[name] = value
        if cfg.password:
            self._values["AuthorizationKey"] = _as_hex(cfg.password)
        for name, value in state.items("config"):
            if name in self.keys:
                self._values[name] = value
        self._effective = dict(self._values)  # reboot-required keys apply from the next boot

    # Settings -------------------------------------------------------------------------------
    def raw(self, name: str) -> str | None:
        key = NAMES.get(name, (None, None))[0]
        if key is None:
            return None
        if key == "ChargingScheduleAllowedChargingRateUnit":
            units = self._effective[key].split(",")
            return ",".join({"Current": "A", "Power": "W"}.get(u, u) for u in units)
        return self._effective.get(key)

    def set_raw(self, name: str, value: str) -> None:
        key = NAMES[name][0]
        if key is not None:
            self._store(key, value)

    def _store(self, key: str, value: str) -> None:
        self._values[key] = value
        self._effective[key] = value
        self.state.put("config", key, value)

    # GetConfiguration ------------------------------------------------------------------------
    def get_configuration(self, requested: list[str] | None) -> dict[str, Any]:
        names = requested if requested else list(self.keys)
        limit = int(self._values["GetConfigurationMaxKeys"])
        known: list[dict[str, Any]] = []
        unknown: list[str] = []
        for name in names:
            key = self.keys.get(name)
            if key is None:
                unknown.append(name[:50])
                continue
            entry: dict[str, Any] = {"key": name, "readonly": key.readonly}
            if not key.write_only:
                entry["value"] = self._values[name][:MAX_VALUE_LENGTH]
            known.append(entry)
        result: dict[str, Any] = {}
        if known:
            result["configurationKey"] = known[:limit]
        if unknown:
            result["unknownKey"] = unknown
        return result

    # ChangeConfiguration ---------------------------------------------------------------------
    def change(self, name: str, value: str) -> str:
        """Accepted | Rejected | RebootRequired | NotSupported (OCPP 1.6 §5.3)."""
        key = self.keys.get(name)
        if key is None:
            return "NotSupported"
        if key.readonly or not self._valid(key, value):
            return "Rejected"
        if key.kind == "bool":
            value = value.strip().lower()
        if name == "SecurityProfile" and int(value) < int(self._values[name]):
            return "Rejected"  # profiles only ratchet upwards over OCPP (A00.FR.005)
        self._values[name] = value
        self.state.put("config", name, value)
        if key.reboot:
            return "RebootRequired"
        self._effective[name] = value
        return "Accepted"

    @staticmethod
    def _valid(key: Key, value: str) -> bool:
        if len(value) > MAX_VALUE_LENGTH:
            return False
        if key.kind == "int":
            try:
                number = int(value)
            except ValueError:
                return False
            return (key.minimum is None or number >= key.minimum) and (key.maximum is None or number <= key.maximum)
        if key.kind == "bool":
            return value.strip().lower() in ("true", "false")
        if key.kind == "csl":
            items = [v.strip() for v in value.split(",") if v.strip()]
            if key.max_items is not None and len(items) > key.max_items:
                return False
            return key.choices is None or all(item in key.choices for item in items)
        if key.kind == "hexkey":  # 16..20 bytes as 32..40 hex digits (security whitepaper)
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                return False
            return 16 <= len(raw) <= 20
        return True

    def password_bytes(self) -> bytes | None:
        """The Basic-auth password: the raw AuthorizationKey bytes (whitepaper §3.3)."""
        text = self._effective.get("AuthorizationKey") or ""
        return bytes.fromhex(text) if text else None


def _as_hex(password: str) -> str:
    """A configured password may be given as hex (a binary key) or as text."""
    try:
        raw = bytes.fromhex(password)
        if 16 <= len(raw) <= 20:
            return password.upper()
    except ValueError:
        pass
    return password.encode().hex().upper()

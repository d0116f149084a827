"""Version-neutral names for the settings the station's behaviour depends on.

The runtime asks for `heartbeat_interval` or `tx_attempts`; 1.6 reads the configuration key,
2.x the device-model variable. One table keeps the two spellings side by side.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

# neutral name -> (1.6 configuration key, 2.x (component, variable[, variable instance]))
NAMES: dict[str, tuple[str | None, tuple[str, ...] | None]] = {
    "heartbeat_interval": ("HeartbeatInterval", ("OCPPCommCtrlr", "HeartbeatInterval")),
    "ping_interval": ("WebSocketPingInterval", ("OCPPCommCtrlr", "WebSocketPingInterval")),
    "backoff_min": ("ChargelineRetryBackOffWaitMinimum", ("OCPPCommCtrlr", "RetryBackOffWaitMinimum")),
    "backoff_range": ("ChargelineRetryBackOffRandomRange", ("OCPPCommCtrlr", "RetryBackOffRandomRange")),
    "backoff_repeat": ("ChargelineRetryBackOffRepeatTimes", ("OCPPCommCtrlr", "RetryBackOffRepeatTimes")),
    "tx_attempts": ("TransactionMessageAttempts", ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")),
    "tx_retry_interval": ("TransactionMessageRetryInterval",
                          ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent")),
    "queue_all": (None, ("OCPPCommCtrlr", "QueueAllMessages")),
    "reset_retries": ("ResetRetries", ("OCPPCommCtrlr", "ResetRetries")),
    "sample_interval": ("MeterValueSampleInterval", ("SampledDataCtrlr", "TxUpdatedInterval")),
    "sampled_measurands": ("MeterValuesSampledData", ("SampledDataCtrlr", "TxUpdatedMeasurands")),
    "started_measurands": ("MeterValuesSampledData", ("SampledDataCtrlr", "TxStartedMeasurands")),
    "ended_measurands": ("StopTxnSampledData", ("SampledDataCtrlr", "TxEndedMeasurands")),
    "ended_interval": (None, ("SampledDataCtrlr", "TxEndedInterval")),
    "aligned_interval": ("ClockAlignedDataInterval", ("AlignedDataCtrlr", "Interval")),
    "aligned_measurands": ("MeterValuesAlignedData", ("AlignedDataCtrlr", "Measurands")),
    "aligned_ended_measurands": ("StopTxnAlignedData", ("AlignedDataCtrlr", "TxEndedMeasurands")),
    "connection_timeout": ("ConnectionTimeOut", ("TxCtrlr", "EVConnectionTimeOut")),
    "stop_on_invalid": ("StopTransactionOnInvalidId", ("TxCtrlr", "StopTxOnInvalidId")),
    "stop_on_ev_disconnect": ("StopTransactionOnEVSideDisconnect", ("TxCtrlr", "StopTxOnEVSideDisconnect")),
    "tx_start_point": (None, ("TxCtrlr", "TxStartPoint")),
    "tx_stop_point": (None, ("TxCtrlr", "TxStopPoint")),
    "max_energy_on_invalid": ("MaxEnergyOnInvalidId", ("TxCtrlr", "MaxEnergyOnInvalidId")),
    "auth_enabled": (None, ("AuthCtrlr", "Enabled")),
    "local_pre_authorize": ("LocalPreAuthorize", ("AuthCtrlr", "LocalPreAuthorize")),
    "local_authorize_offline": ("LocalAuthorizeOffline", ("AuthCtrlr", "LocalAuthorizeOffline")),
    "offline_unknown_id": ("AllowOfflineTxForUnknownId", ("AuthCtrlr", "OfflineTxForUnknownIdEnabled")),
    "authorize_remote": ("AuthorizeRemoteTxRequests", ("AuthCtrlr", "AuthorizeRemoteStart")),
    "auth_cache_enabled": ("AuthorizationCacheEnabled", ("AuthCacheCtrlr", "Enabled")),
    "auth_cache_lifetime": (None, ("AuthCacheCtrlr", "LifeTime")),
    "local_list_enabled": ("LocalAuthListEnabled", ("LocalAuthListCtrlr", "Enabled")),
    "local_list_max": ("LocalAuthListMaxLength", ("LocalAuthListCtrlr", "Storage")),
    "send_list_max": ("SendLocalListMaxLength", ("LocalAuthListCtrlr", "ItemsPerMessage")),
    "reservation_enabled": (None, ("ReservationCtrlr", "Enabled")),
    "reserve_connector_zero": ("ReserveConnectorZeroSupported", ("ReservationCtrlr", "NonEvseSpecific")),
    "smart_charging_enabled": (None, ("SmartChargingCtrlr", "Enabled")),
    "max_stack_level": ("ChargeProfileMaxStackLevel", ("SmartChargingCtrlr", "ProfileStackLevel")),
    "max_periods": ("ChargingScheduleMaxPeriods", ("SmartChargingCtrlr", "PeriodsPerSchedule")),
    "max_profiles": ("MaxChargingProfilesInstalled", ("SmartChargingCtrlr", "Entries", "ChargingProfiles")),
    "rate_units": ("ChargingScheduleAllowedChargingRateUnit", ("SmartChargingCtrlr", "RateUnit")),
    "security_profile": ("SecurityProfile", ("SecurityCtrlr", "SecurityProfile")),
    "password": ("AuthorizationKey", ("SecurityCtrlr", "BasicAuthPassword")),
    "cpo_name": ("CpoName", ("SecurityCtrlr", "OrganizationName")),
    "cert_store_max": ("CertificateStoreMaxLength", None),  # 2.x CertificateEntries counts, not limits
    "cert_wait_min": ("ChargelineCertSigningWaitMinimum", ("SecurityCtrlr", "CertSigningWaitMinimum")),
    "cert_repeat": ("ChargelineCertSigningRepeatTimes", ("SecurityCtrlr", "CertSigningRepeatTimes")),
    "unlock_on_ev_disconnect": ("UnlockConnectorOnEVSideDisconnect", None),
    "minimum_status_duration": ("MinimumStatusDuration", None),
    "report_items": (None, ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")),
}

TRUE = frozenset({"true", "1", "yes", "on"})


class Settings(ABC):
    """Typed access to the settings by neutral name; missing or unset values give the default."""

    @abstractmethod
    def raw(self, name: str) -> str | None:
        """The current value of a neutral setting, or None if this version has no such setting."""

    @abstractmethod
    def set_raw(self, name: str, value: str) -> None:
        """Change a setting from inside the station (never validated as a CSMS request is)."""

    def text(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None else value

    def integer(self, name: str, default: int = 0) -> int:
        value = self.raw(name)
        try:
            return int(float(value)) if value not in (None, "") else default
        except ValueError:
            return default

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        return default if value in (None, "") else value.strip().lower() in TRUE

    def items(self, name: str) -> list[str]:
        value = self.raw(name)
        return [v.strip() for v in (value or "").split(",") if v.strip()]

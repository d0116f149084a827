"""Version-neutral requests, one per operation, as API callers and CSMS services write them.

Top-level fields are snake_case and mean the same thing for every OCPP version. Structures
that only exist in OCPP 2.x (component/variable, display messages, monitors, network
profiles) and charging profiles are given in their OCPP JSON shape (camelCase) and
validated against the station version's schema after translation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IdTokenType = str  # 2.x IdTokenEnumType (2.1: an open string); 1.6 has no type


class Neutral(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Empty(Neutral):
    """No parameters."""


class RemoteStart(Neutral):
    id_token: str = Field(min_length=1, max_length=255, description="Authorized by the CSMS before sending.")
    id_token_type: IdTokenType = Field("Central", min_length=1, max_length=20, description="2.x only.")
    evse_id: int | None = Field(None, ge=1, description="1.6: the connectorId.")
    group_id_token: str | None = Field(None, min_length=1, max_length=255, description="2.x only.")
    charging_profile: dict[str, Any] | None = Field(
        None, description="A TxProfile in OCPP JSON (2.x `chargingProfile` or 1.6 `csChargingProfiles` shape); "
                          "converted to the station's version.")


class RemoteStop(Neutral):
    transaction_id: str = Field(min_length=1, max_length=36,
                                description="The transaction id the station knows (1.6: an integer).")


class Reset(Neutral):
    type: Literal["Hard", "Soft", "Immediate", "OnIdle", "ImmediateAndResume"] = Field(
        description="Hard/Immediate and Soft/OnIdle are translated into each other; ImmediateAndResume is 2.1.")
    evse_id: int | None = Field(None, ge=1, description="2.x only: reset one EVSE.")


class Unlock(Neutral):
    evse_id: int = Field(ge=1, description="1.6: the connectorId.")
    connector_id: int = Field(1, ge=1, description="2.x connector of the EVSE (1.6: must be 1).")


class ChangeAvailability(Neutral):
    operational: bool
    evse_id: int | None = Field(None, ge=0, description="Omitted or 0: the whole station.")
    connector_id: int | None = Field(None, ge=1, description="2.x only.")


class GetConfiguration(Neutral):
    keys: list[str] | None = Field(None, description="Omitted: every key.")


class ChangeConfiguration(Neutral):
    key: str = Field(min_length=1, max_length=50)
    value: str = Field(max_length=500)


class GetVariable(Neutral):
    component: dict[str, Any] = Field(description="OCPP ComponentType, e.g. {\"name\": \"OCPPCommCtrlr\"}.")
    variable: dict[str, Any] = Field(description="OCPP VariableType, e.g. {\"name\": \"HeartbeatInterval\"}.")
    attribute_type: Literal["Actual", "Target", "MinSet", "MaxSet"] | None = None


class GetVariables(Neutral):
    variables: list[GetVariable] = Field(min_length=1)


class SetVariable(GetVariable):
    attribute_value: str = Field(max_length=2500)


class SetVariables(Neutral):
    variables: list[SetVariable] = Field(min_length=1)


class GetBaseReport(Neutral):
    report_base: Literal["ConfigurationInventory", "FullInventory", "SummaryInventory"] = "FullInventory"


class GetReport(Neutral):
    component_criteria: list[Literal["Active", "Available", "Enabled", "Problem"]] | None = None
    component_variables: list[dict[str, Any]] | None = Field(None, description="OCPP ComponentVariableType list.")


class TriggerMessage(Neutral):
    message: str = Field(min_length=1, max_length=50,
                         description="e.g. StatusNotification, BootNotification, LogStatusNotification")
    evse_id: int | None = Field(None, ge=0)
    connector_id: int | None = Field(None, ge=1, description="2.x only.")
    custom_trigger: str | None = Field(None, max_length=50, description="2.1 only, with message CustomTrigger.")


class ReserveNow(Neutral):
    expiry: datetime
    id_token: str = Field(min_length=1, max_length=255)
    id_token_type: IdTokenType = Field("Central", min_length=1, max_length=20)
    evse_id: int | None = Field(None, ge=0, description="Omitted or 0: any EVSE (1.6 connectorId 0).")
    connector_type: str | None = Field(None, max_length=20, description="2.x only.")
    group_id_token: str | None = Field(None, max_length=255, description="1.6: parentIdTag.")
    reservation_id: int | None = Field(None, ge=0, description="Default: the command id.")


class CancelReservation(Neutral):
    reservation_id: int = Field(ge=0)


class LocalListEntry(Neutral):
    id_token: str = Field(min_length=1, max_length=255)
    id_token_type: IdTokenType = Field("Central", min_length=1, max_length=20)
    status: Literal["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"] | None = Field(
        None, description="Omitted in a Differential update: remove the entry.")
    expiry: datetime | None = None
    group_id_token: str | None = Field(None, max_length=255)


class SendLocalList(Neutral):
    version: int = Field(ge=0, description="listVersion / versionNumber.")
    update_type: Literal["Full", "Differential"]
    entries: list[LocalListEntry] = Field(default_factory=list)


class UpdateFirmware(Neutral):
    location: str = Field(min_length=1, max_length=2000)
    retrieve_at: datetime
    install_at: datetime | None = None
    retries: int | None = Field(None, ge=0)
    retry_interval: int | None = Field(None, ge=0)
    signing_certificate: str | None = Field(None, max_length=5500, description="With `signature`: signed update.")
    signature: str | None = Field(None, max_length=800)


class GetDiagnostics(Neutral):
    location: str = Field(min_length=1, max_length=512, description="Upload URL.")
    start: datetime | None = None
    stop: datetime | None = None
    retries: int | None = Field(None, ge=0)
    retry_interval: int | None = Field(None, ge=0)


class GetLog(Neutral):
    log_type: Literal["DiagnosticsLog", "SecurityLog", "DataCollectorLog"] = "DiagnosticsLog"
    location: str = Field(min_length=1, max_length=2000, description="Upload URL.")
    oldest: datetime | None = None
    latest: datetime | None = None
    retries: int | None = Field(None, ge=0)
    retry_interval: int | None = Field(None, ge=0)


class DataTransfer(Neutral):
    vendor_id: str = Field(min_length=1, max_length=255)
    message_id: str | None = Field(None, max_length=50)
    data: Any = Field(None, description="1.6 carries text: anything else is sent as JSON text.")


class SetChargingProfile(Neutral):
    evse_id: int = Field(ge=0, description="0: the whole station. 1.6: the connectorId.")
    charging_profile: dict[str, Any] = Field(description="OCPP JSON profile (2.x or 1.6 shape).")


class ClearChargingProfile(Neutral):
    profile_id: int | None = None
    evse_id: int | None = Field(None, ge=0)
    purpose: str | None = Field(None, max_length=50)
    stack_level: int | None = Field(None, ge=0)


class GetChargingProfiles(Neutral):
    evse_id: int | None = Field(None, ge=0)
    purpose: str | None = Field(None, max_length=50)
    stack_level: int | None = Field(None, ge=0)
    profile_ids: list[int] | None = Field(None, min_length=1)
    limit_sources: list[str] | None = Field(None, min_length=1, max_length=4)


class GetCompositeSchedule(Neutral):
    evse_id: int = Field(ge=0)
    duration: int = Field(ge=1, le=31 * 86400, description="Seconds.")
    charging_rate_unit: Literal["A", "W"] | None = None


class InstallCertificate(Neutral):
    certificate_type: str = Field(min_length=1, max_length=50, description="e.g. CSMSRootCertificate, "
                                                                           "ManufacturerRootCertificate")
    certificate: str = Field(min_length=1, max_length=10000, description="PEM.")


class DeleteCertificate(Neutral):
    certificate_hash_data: dict[str, Any] = Field(description="OCPP CertificateHashDataType.")


class GetInstalledCertificateIds(Neutral):
    certificate_types: list[str] | None = Field(None, description="1.6: exactly one.")


class CertificateSigned(Neutral):
    certificate_chain: str = Field(min_length=1, max_length=100000, description="PEM chain.")
    certificate_type: Literal["ChargingStationCertificate", "V2GCertificate"] | None = None


class SetDisplayMessage(Neutral):
    message: dict[str, Any] = Field(description="OCPP MessageInfoType.")


class GetDisplayMessages(Neutral):
    ids: list[int] | None = Field(None, min_length=1)
    priority: str | None = Field(None, max_length=20)
    state: str | None = Field(None, max_length=20)


class ClearDisplayMessage(Neutral):
    id: int


class CustomerInformation(Neutral):
    report: bool = True
    clear: bool = False
    customer_identifier: str | None = Field(None, max_length=64)
    id_token: str | None = Field(None, max_length=255)
    id_token_type: IdTokenType = Field("Central", min_length=1, max_length=20)
    customer_certificate: dict[str, Any] | None = Field(None, description="OCPP CertificateHashDataType.")


class GetTransactionStatus(Neutral):
    transaction_id: str | None = Field(None, max_length=36)


class CostUpdated(Neutral):
    total_cost: float
    transaction_id: str = Field(min_length=1, max_length=36)


class SetVariableMonitoring(Neutral):
    monitors: list[dict[str, Any]] = Field(min_length=1, description="OCPP SetMonitoringDataType list.")


class ClearVariableMonitoring(Neutral):
    ids: list[int] = Field(min_length=1)


class SetMonitoringBase(Neutral):
    base: Literal["All", "FactoryDefault", "HardWiredOnly"]


class SetMonitoringLevel(Neutral):
    severity: int = Field(ge=0, le=9)


class GetMonitoringReport(Neutral):
    monitoring_criteria: list[Literal["ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring"]] | None = None
    component_variables: list[dict[str, Any]] | None = None


class SetNetworkProfile(Neutral):
    configuration_slot: int
    connection_data: dict[str, Any] = Field(description="OCPP NetworkConnectionProfileType.")


class PublishFirmware(Neutral):
    location: str = Field(min_length=1, max_length=2000)
    checksum: str = Field(min_length=1, max_length=32)
    retries: int | None = Field(None, ge=0)
    retry_interval: int | None = Field(None, ge=0)


class UnpublishFirmware(Neutral):
    checksum: str = Field(min_length=1, max_length=32)


class OcppPayload(Neutral):
    """An OCPP request payload as that version's schema defines it (used for the 2.1 additions)."""

    payload: dict[str, Any] = Field(default_factory=dict)


class Raw(Neutral):
    """Any CSMS-to-station action with its OCPP payload (admins; validated against the schema)."""

    action: str = Field(min_length=1, max_length=50)
    payload: dict[str, Any] = Field(default_factory=dict)

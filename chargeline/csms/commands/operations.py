"""The catalogue of operations: request model, translator per version, role, asynchronous reports.

An operation missing a translator for a version has no equivalent there and is refused (409).
The role is the least an API caller needs; `required_role` raises it for requests that touch
security settings (security brief §5.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from chargeline.csms.commands import requests as r
from chargeline.csms.commands import translate_v2, translate_v16
from chargeline.csms.commands.convert import OcppCall, TranslateContext, Translator
from chargeline.ocpp.versions import OcppVersion


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    model: type[BaseModel]
    summary: str
    role: str = "operator"
    # asynchronous reports the station sends afterwards, per version family
    reports_v16: tuple[str, ...] = ()
    reports_v2: tuple[str, ...] = ()
    translators: dict[OcppVersion, Translator] = field(default_factory=dict)

    def translator(self, version: OcppVersion) -> Translator | None:
        return self.translators.get(version)

    def versions(self) -> list[str]:
        return [v.label for v in OcppVersion if v in self.translators]

    def reports(self, version: OcppVersion) -> tuple[str, ...]:
        return self.reports_v2 if version.is_v2 else self.reports_v16


def _raw(req: r.Raw, ctx: TranslateContext) -> OcppCall:
    return OcppCall(req.action, dict(req.payload))


_SPEC: list[tuple[str, type[BaseModel], str, str, tuple[str, ...], tuple[str, ...]]] = [
    # name, model, summary, role, 1.6 reports, 2.x reports
    ("remote_start", r.RemoteStart, "Start a transaction (RemoteStartTransaction / RequestStartTransaction).",
     "operator", (), ()),
    ("remote_stop", r.RemoteStop, "Stop a transaction (RemoteStopTransaction / RequestStopTransaction).",
     "operator", (), ()),
    ("reset", r.Reset, "Reset the station or one EVSE.", "operator", (), ()),
    ("unlock", r.Unlock, "Unlock a connector.", "operator", (), ()),
    ("change_availability", r.ChangeAvailability, "Make the station, an EVSE or a connector (in)operative.",
     "operator", (), ()),
    ("get_configuration", r.GetConfiguration, "Read 1.6 configuration keys.", "operator", (), ()),
    ("change_configuration", r.ChangeConfiguration, "Change a 1.6 configuration key.", "operator", (), ()),
    ("get_variables", r.GetVariables, "Read 2.x device-model variables.", "operator", (), ()),
    ("set_variables", r.SetVariables, "Set 2.x device-model variables.", "operator", (), ()),
    ("get_base_report", r.GetBaseReport, "Ask for a 2.x base report (NotifyReport follows).", "operator",
     (), ("NotifyReport",)),
    ("get_report", r.GetReport, "Ask for a 2.x report by criteria (NotifyReport follows).", "operator",
     (), ("NotifyReport",)),
    ("trigger_message", r.TriggerMessage, "Ask the station to send a message now.", "operator", (), ()),
    ("reserve_now", r.ReserveNow, "Reserve an EVSE (or the station) for an id token.", "operator", (), ()),
    ("cancel_reservation", r.CancelReservation, "Cancel a reservation.", "operator", (), ()),
    ("send_local_list", r.SendLocalList, "Replace or update the station's local authorization list.",
     "operator", (), ()),
    ("get_local_list_version", r.Empty, "Read the local authorization list version.", "operator", (), ()),
    ("clear_cache", r.Empty, "Clear the station's authorization cache.", "operator", (), ()),
    ("update_firmware", r.UpdateFirmware, "Install firmware (1.6 signed updates use SignedUpdateFirmware).",
     "admin", ("FirmwareStatusNotification", "SignedFirmwareStatusNotification"), ("FirmwareStatusNotification",)),
    ("get_diagnostics", r.GetDiagnostics, "Upload diagnostics (1.6 GetDiagnostics, 2.x GetLog DiagnosticsLog).",
     "admin", ("DiagnosticsStatusNotification",), ("LogStatusNotification",)),
    ("get_log", r.GetLog, "Upload a log (1.6 security extension GetLog, 2.x GetLog).", "admin",
     ("LogStatusNotification",), ("LogStatusNotification",)),
    ("data_transfer", r.DataTransfer, "Send a vendor-specific DataTransfer.", "operator", (), ()),
    ("set_charging_profile", r.SetChargingProfile, "Install a charging profile.", "operator", (), ()),
    ("clear_charging_profile", r.ClearChargingProfile, "Remove charging profiles.", "operator", (), ()),
    ("get_charging_profiles", r.GetChargingProfiles, "Report installed profiles (2.x; ReportChargingProfiles "
     "follows).", "operator", (), ("ReportChargingProfiles",)),
    ("get_composite_schedule", r.GetCompositeSchedule, "Read the composite schedule of an EVSE.", "operator",
     (), ()),
    ("install_certificate", r.InstallCertificate, "Install a root certificate.", "admin", (), ()),
    ("delete_certificate", r.DeleteCertificate, "Delete an installed certificate.", "admin", (), ()),
    ("get_installed_certificate_ids", r.GetInstalledCertificateIds, "List installed certificates.", "operator",
     (), ()),
    ("certificate_signed", r.CertificateSigned, "Send a signed certificate chain to the station.", "admin", (), ()),
    ("set_display_message", r.SetDisplayMessage, "Show a message on the station's display (2.x).", "operator",
     (), ()),
    ("get_display_messages", r.GetDisplayMessages, "Report display messages (2.x; NotifyDisplayMessages "
     "follows).", "operator", (), ("NotifyDisplayMessages",)),
    ("clear_display_message", r.ClearDisplayMessage, "Remove a display message (2.x).", "operator", (), ()),
    ("customer_information", r.CustomerInformation, "Report or clear customer data (2.x; "
     "NotifyCustomerInformation follows).", "admin", (), ("NotifyCustomerInformation",)),
    ("get_transaction_status", r.GetTransactionStatus, "Ask whether transaction messages are queued (2.x).",
     "operator", (), ()),
    ("cost_updated", r.CostUpdated, "Send the running cost of a transaction (2.x).", "operator", (), ()),
    ("set_variable_monitoring", r.SetVariableMonitoring, "Set variable monitors (2.x).", "operator", (), ()),
    ("clear_variable_monitoring", r.ClearVariableMonitoring, "Clear variable monitors (2.x).", "operator", (), ()),
    ("set_monitoring_base", r.SetMonitoringBase, "Select the monitoring base (2.x).", "operator", (), ()),
    ("set_monitoring_level", r.SetMonitoringLevel, "Set the monitoring severity level (2.x).", "operator", (), ()),
    ("get_monitoring_report", r.GetMonitoringReport, "Report monitors (2.x; NotifyMonitoringReport follows).",
     "operator", (), ("NotifyMonitoringReport",)),
    ("set_network_profile", r.SetNetworkProfile, "Set a network connection profile (2.x).", "admin", (), ()),
    ("publish_firmware", r.PublishFirmware, "Publish firmware to local controllers (2.x).", "admin",
     (), ("PublishFirmwareStatusNotification",)),
    ("unpublish_firmware", r.UnpublishFirmware, "Stop publishing firmware (2.x).", "admin", (), ()),
]

_V21_ROLES = {"set_der_control": "admin", "clear_der_control": "admin", "afrr_signal": "admin"}
_V21_REPORTS = {"get_der_control": ("ReportDERControl",)}


def _build() -> dict[str, Operation]:
    ops: dict[str, Operation] = {}
    for name, model, summary, role, reports_16, reports_2 in _SPEC:
        translators: dict[OcppVersion, Translator] = {}
        if name in translate_v16.TRANSLATORS:
            translators[OcppVersion.V16] = translate_v16.TRANSLATORS[name]
        if name in translate_v2.TRANSLATORS:
            translators[OcppVersion.V201] = translators[OcppVersion.V21] = translate_v2.TRANSLATORS[name]
        ops[name] = Operation(name, model, summary, role, reports_16, reports_2, translators)
    for name, (action, _) in translate_v2.V21_ADDITIONS.items():
        ops[name] = Operation(name, r.OcppPayload, f"OCPP 2.1 {action}: `payload` as the 2.1 schema defines it.",
                              _V21_ROLES.get(name, "operator"), (), _V21_REPORTS.get(name, ()),
                              {OcppVersion.V21: translate_v2.TRANSLATORS[name]})
    ops["raw"] = Operation("raw", r.Raw, "Any CSMS-to-station action with its OCPP payload (validated).", "admin",
                           (), (), {v: _raw for v in OcppVersion})
    return ops


OPERATIONS: dict[str, Operation] = _build()

# Settings whose change can lock a station out or weaken its security: admins only.
SECURITY_CONFIG_KEYS = frozenset({"authorizationkey", "securityprofile", "cponame", "additionalrootcertificatecheck",
                                  "certificatestoremaxlength", "certificatesignedmaxchainsize"})
SECURITY_COMPONENTS = frozenset({"securityctrlr", "ocppcommctrlr"})


def required_role(op: Operation, req: Any) -> str:
    """The role `req` needs: the operation's, raised to admin for security settings."""
    if isinstance(req, r.ChangeConfiguration) and req.key.casefold() in SECURITY_CONFIG_KEYS:
        return "admin"
    if isinstance(req, r.SetVariables) and any(
            str(v.component.get("name", "")).casefold() in SECURITY_COMPONENTS for v in req.variables):
        return "admin"
    return op.role

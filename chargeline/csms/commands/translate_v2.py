"""Version-neutral requests -> OCPP 2.0.1 and 2.1 calls.

The two versions share their CSMS-initiated request shapes; where 2.1 adds a value (reset
ImmediateAndResume, CustomTrigger, DataCollectorLog) it is refused for 2.0.1. The 2.1-only
operations take their OCPP payload as that version's schema defines it; a `requestId` the
caller leaves out is filled with the command id so reports can be attached.
"""

from __future__ import annotations

from typing import Any

from chargeline.csms.commands import requests as r
from chargeline.csms.commands.convert import (
    OcppCall,
    TranslateContext,
    Translator,
    charging_profile,
    compact,
    purpose_for,
    when,
)
from chargeline.csms.commands.errors import InvalidRequest, NotSupported
from chargeline.ocpp.versions import OcppVersion

_TRIGGER_ALIASES = {"SignChargePointCertificate": "SignChargingStationCertificate"}
_TRIGGER_21_ONLY = frozenset({"SignV2G20Certificate", "CustomTrigger"})
_CERTIFICATE_TYPES = {"CentralSystemRootCertificate": "CSMSRootCertificate"}


def _token(value: str, kind: str) -> dict[str, Any]:
    return {"idToken": value, "type": kind}


def _only_21(ctx: TranslateContext, what: str) -> None:
    if ctx.version is not OcppVersion.V21:
        raise NotSupported(f"{what} is OCPP 2.1 (station speaks {ctx.version.label})")


def _evse(evse_id: int | None, connector_id: int | None) -> dict[str, Any] | None:
    if connector_id is not None and not evse_id:
        raise InvalidRequest("connector_id needs an evse_id")
    return compact(id=evse_id, connectorId=connector_id) if evse_id else None


def remote_start(req: r.RemoteStart, ctx: TranslateContext) -> OcppCall:
    profile = charging_profile(req.charging_profile, ctx.version, remote_start=True) if req.charging_profile else None
    group = _token(req.group_id_token, "Central") if req.group_id_token else None
    return OcppCall("RequestStartTransaction", compact(
        idToken=_token(req.id_token, req.id_token_type), remoteStartId=ctx.request_id, evseId=req.evse_id,
        groupIdToken=group, chargingProfile=profile))


def remote_stop(req: r.RemoteStop, ctx: TranslateContext) -> OcppCall:
    return OcppCall("RequestStopTransaction", {"transactionId": req.transaction_id})


def reset(req: r.Reset, ctx: TranslateContext) -> OcppCall:
    if req.type == "ImmediateAndResume":
        _only_21(ctx, "reset type ImmediateAndResume")
    kind = {"Hard": "Immediate", "Soft": "OnIdle"}.get(req.type, req.type)
    return OcppCall("Reset", compact(type=kind, evseId=req.evse_id))


def unlock(req: r.Unlock, ctx: TranslateContext) -> OcppCall:
    return OcppCall("UnlockConnector", {"evseId": req.evse_id, "connectorId": req.connector_id})


def change_availability(req: r.ChangeAvailability, ctx: TranslateContext) -> OcppCall:
    return OcppCall("ChangeAvailability", compact(
        operationalStatus="Operative" if req.operational else "Inoperative",
        evse=_evse(req.evse_id, req.connector_id)))


def get_variables(req: r.GetVariables, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetVariables", {"getVariableData": [
        compact(component=v.component, variable=v.variable, attributeType=v.attribute_type) for v in req.variables]})


def set_variables(req: r.SetVariables, ctx: TranslateContext) -> OcppCall:
    return OcppCall("SetVariables", {"setVariableData": [
        compact(component=v.component, variable=v.variable, attributeValue=v.attribute_value,
                attributeType=v.attribute_type) for v in req.variables]})


def get_base_report(req: r.GetBaseReport, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetBaseReport", {"requestId": ctx.request_id, "reportBase": req.report_base})


def get_report(req: r.GetReport, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetReport", compact(requestId=ctx.request_id, componentCriteria=req.component_criteria,
                                         componentVariable=req.component_variables))


def trigger_message(req: r.TriggerMessage, ctx: TranslateContext) -> OcppCall:
    message = _TRIGGER_ALIASES.get(req.message, req.message)
    if message == "DiagnosticsStatusNotification":
        raise NotSupported("OCPP 2.x has no DiagnosticsStatusNotification (trigger LogStatusNotification)")
    if message in _TRIGGER_21_ONLY:
        _only_21(ctx, f"trigger {message}")
    if req.custom_trigger is not None:
        _only_21(ctx, "custom_trigger")
        if message != "CustomTrigger":
            raise InvalidRequest("custom_trigger goes with message CustomTrigger")
    return OcppCall("TriggerMessage", compact(requestedMessage=message, evse=_evse(req.evse_id, req.connector_id),
                                              customTrigger=req.custom_trigger))


def reserve_now(req: r.ReserveNow, ctx: TranslateContext) -> OcppCall:
    group = _token(req.group_id_token, "Central") if req.group_id_token else None
    return OcppCall("ReserveNow", compact(
        id=req.reservation_id if req.reservation_id is not None else ctx.request_id,
        expiryDateTime=when(req.expiry), idToken=_token(req.id_token, req.id_token_type),
        evseId=req.evse_id or None, connectorType=req.connector_type, groupIdToken=group))


def cancel_reservation(req: r.CancelReservation, ctx: TranslateContext) -> OcppCall:
    return OcppCall("CancelReservation", {"reservationId": req.reservation_id})


def send_local_list(req: r.SendLocalList, ctx: TranslateContext) -> OcppCall:
    entries = []
    for e in req.entries:
        info = None
        if e.status is not None:
            group = _token(e.group_id_token, "Central") if e.group_id_token else None
            info = compact(status=e.status, cacheExpiryDateTime=when(e.expiry), groupIdToken=group)
        entries.append(compact(idToken=_token(e.id_token, e.id_token_type), idTokenInfo=info))
    return OcppCall("SendLocalList", compact(versionNumber=req.version, updateType=req.update_type,
                                             localAuthorizationList=entries or None))


def empty(action: str) -> Translator:
    def translate(req: r.Empty, ctx: TranslateContext) -> OcppCall:
        return OcppCall(action, {})
    return translate


def update_firmware(req: r.UpdateFirmware, ctx: TranslateContext) -> OcppCall:
    firmware = compact(location=req.location, retrieveDateTime=when(req.retrieve_at),
                       installDateTime=when(req.install_at), signingCertificate=req.signing_certificate,
                       signature=req.signature)
    return OcppCall("UpdateFirmware", compact(requestId=ctx.request_id, firmware=firmware, retries=req.retries,
                                              retryInterval=req.retry_interval))


def _get_log(log_type: str, location: str, oldest: Any, latest: Any, retries: int | None,
             retry_interval: int | None, ctx: TranslateContext) -> OcppCall:
    if log_type == "DataCollectorLog":
        _only_21(ctx, "log type DataCollectorLog")
    log = compact(remoteLocation=location, oldestTimestamp=when(oldest), latestTimestamp=when(latest))
    return OcppCall("GetLog", compact(logType=log_type, requestId=ctx.request_id, log=log, retries=retries,
                                      retryInterval=retry_interval))


def get_diagnostics(req: r.GetDiagnostics, ctx: TranslateContext) -> OcppCall:
    return _get_log("DiagnosticsLog", req.location, req.start, req.stop, req.retries, req.retry_interval, ctx)


def get_log(req: r.GetLog, ctx: TranslateContext) -> OcppCall:
    return _get_log(req.log_type, req.location, req.oldest, req.latest, req.retries, req.retry_interval, ctx)


def data_transfer(req: r.DataTransfer, ctx: TranslateContext) -> OcppCall:
    return OcppCall("DataTransfer", compact(vendorId=req.vendor_id, messageId=req.message_id, data=req.data))


def set_charging_profile(req: r.SetChargingProfile, ctx: TranslateContext) -> OcppCall:
    return OcppCall("SetChargingProfile", {"evseId": req.evse_id,
                                           "chargingProfile": charging_profile(req.charging_profile, ctx.version)})


def clear_charging_profile(req: r.ClearChargingProfile, ctx: TranslateContext) -> OcppCall:
    criteria = compact(evseId=req.evse_id, chargingProfilePurpose=purpose_for(req.purpose, ctx.version),
                       stackLevel=req.stack_level)
    return OcppCall("ClearChargingProfile", compact(chargingProfileId=req.profile_id,
                                                    chargingProfileCriteria=criteria or None))


def get_charging_profiles(req: r.GetChargingProfiles, ctx: TranslateContext) -> OcppCall:
    criterion = compact(chargingProfilePurpose=purpose_for(req.purpose, ctx.version), stackLevel=req.stack_level,
                        chargingProfileId=req.profile_ids, chargingLimitSource=req.limit_sources)
    return OcppCall("GetChargingProfiles", compact(requestId=ctx.request_id, evseId=req.evse_id,
                                                   chargingProfile=criterion))


def get_composite_schedule(req: r.GetCompositeSchedule, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetCompositeSchedule", compact(duration=req.duration, chargingRateUnit=req.charging_rate_unit,
                                                    evseId=req.evse_id))


def install_certificate(req: r.InstallCertificate, ctx: TranslateContext) -> OcppCall:
    kind = _CERTIFICATE_TYPES.get(req.certificate_type, req.certificate_type)
    if kind == "OEMRootCertificate":
        _only_21(ctx, "certificate type OEMRootCertificate")
    return OcppCall("InstallCertificate", {"certificateType": kind, "certificate": req.certificate})


def delete_certificate(req: r.DeleteCertificate, ctx: TranslateContext) -> OcppCall:
    return OcppCall("DeleteCertificate", {"certificateHashData": req.certificate_hash_data})


def get_installed_certificate_ids(req: r.GetInstalledCertificateIds, ctx: TranslateContext) -> OcppCall:
    kinds = [_CERTIFICATE_TYPES.get(k, k) for k in req.certificate_types or []]
    return OcppCall("GetInstalledCertificateIds", compact(certificateType=kinds or None))


def certificate_signed(req: r.CertificateSigned, ctx: TranslateContext) -> OcppCall:
    return OcppCall("CertificateSigned", compact(certificateChain=req.certificate_chain,
                                                 certificateType=req.certificate_type))


def set_display_message(req: r.SetDisplayMessage, ctx: TranslateContext) -> OcppCall:
    return OcppCall("SetDisplayMessage", {"message": req.message})


def get_display_messages(req: r.GetDisplayMessages, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetDisplayMessages", compact(requestId=ctx.request_id, id=req.ids, priority=req.priority,
                                                  state=req.state))


def clear_display_message(req: r.ClearDisplayMessage, ctx: TranslateContext) -> OcppCall:
    return OcppCall("ClearDisplayMessage", {"id": req.id})


def customer_information(req: r.CustomerInformation, ctx: TranslateContext) -> OcppCall:
    token = _token(req.id_token, req.id_token_type) if req.id_token else None
    return OcppCall("CustomerInformation", compact(
        requestId=ctx.request_id, report=req.report, clear=req.clear, customerIdentifier=req.customer_identifier,
        idToken=token, customerCertificate=req.customer_certificate))


def get_transaction_status(req: r.GetTransactionStatus, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetTransactionStatus", compact(transactionId=req.transaction_id))


def cost_updated(req: r.CostUpdated, ctx: TranslateContext) -> OcppCall:
    return OcppCall("CostUpdated", {"totalCost": req.total_cost, "transactionId": req.transaction_id})


def set_variable_monitoring(req: r.SetVariableMonitoring, ctx: TranslateContext) -> OcppCall:
    return OcppCall("SetVariableMonitoring", {"setMonitoringData": req.monitors})


def clear_variable_monitoring(req: r.ClearVariableMonitoring, ctx: TranslateContext) -> OcppCall:
    return OcppCall("ClearVariableMonitoring", {"id": req.ids})


def set_monitoring_base(req: r.SetMonitoringBase, ctx: TranslateContext) -> OcppCall:
    return OcppCall("SetMonitoringBase", {"monitoringBase": req.base})


def set_monitoring_level(req: r.SetMonitoringLevel, ctx: TranslateContext) -> OcppCall:
    return OcppCall("SetMonitoringLevel", {"severity": req.severity})


def get_monitoring_report(req: r.GetMonitoringReport, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetMonitoringReport", compact(requestId=ctx.request_id,
                                                   monitoringCriteria=req.monitoring_criteria,
                                                   componentVariable=req.component_variables))


def set_network_profile(req: r.SetNetworkProfile, ctx: TranslateContext) -> OcppCall:
    return OcppCall("SetNetworkProfile", {"configurationSlot": req.configuration_slot,
                                          "connectionData": req.connection_data})


def publish_firmware(req: r.PublishFirmware, ctx: TranslateContext) -> OcppCall:
    return OcppCall("PublishFirmware", compact(location=req.location, checksum=req.checksum,
                                               requestId=ctx.request_id, retries=req.retries,
                                               retryInterval=req.retry_interval))


def unpublish_firmware(req: r.UnpublishFirmware, ctx: TranslateContext) -> OcppCall:
    return OcppCall("UnpublishFirmware", {"checksum": req.checksum})


def passthrough_21(action: str, fills_request_id: bool = False) -> Translator:
    """A 2.1 addition: the payload goes as given, validated against the 2.1 schema afterwards."""

    def translate(req: r.OcppPayload, ctx: TranslateContext) -> OcppCall:
        _only_21(ctx, action)
        payload = dict(req.payload)
        if fills_request_id:
            payload.setdefault("requestId", ctx.request_id)
        return OcppCall(action, payload)
    return translate


TRANSLATORS: dict[str, Translator] = {
    "remote_start": remote_start,
    "remote_stop": remote_stop,
    "reset": reset,
    "unlock": unlock,
    "change_availability": change_availability,
    "get_variables": get_variables,
    "set_variables": set_variables,
    "get_base_report": get_base_report,
    "get_report": get_report,
    "trigger_message": trigger_message,
    "reserve_now": reserve_now,
    "cancel_reservation": cancel_reservation,
    "send_local_list": send_local_list,
    "get_local_list_version": empty("GetLocalListVersion"),
    "clear_cache": empty("ClearCache"),
    "update_firmware": update_firmware,
    "get_diagnostics": get_diagnostics,
    "get_log": get_log,
    "data_transfer": data_transfer,
    "set_charging_profile": set_charging_profile,
    "clear_charging_profile": clear_charging_profile,
    "get_charging_profiles": get_charging_profiles,
    "get_composite_schedule": get_composite_schedule,
    "install_certificate": install_certificate,
    "delete_certificate": delete_certificate,
    "get_installed_certificate_ids": get_installed_certificate_ids,
    "certificate_signed": certificate_signed,
    "set_display_message": set_display_message,
    "get_display_messages": get_display_messages,
    "clear_display_message": clear_display_message,
    "customer_information": customer_information,
    "get_transaction_status": get_transaction_status,
    "cost_updated": cost_updated,
    "set_variable_monitoring": set_variable_monitoring,
    "clear_variable_monitoring": clear_variable_monitoring,
    "set_monitoring_base": set_monitoring_base,
    "set_monitoring_level": set_monitoring_level,
    "get_monitoring_report": get_monitoring_report,
    "set_network_profile": set_network_profile,
    "publish_firmware": publish_firmware,
    "unpublish_firmware": unpublish_firmware,
}

# The 2.1 additions: operation name -> (action, whether the command id fills `requestId`).
V21_ADDITIONS: dict[str, tuple[str, bool]] = {
    "afrr_signal": ("AFRRSignal", False),
    "adjust_periodic_event_stream": ("AdjustPeriodicEventStream", False),
    "get_periodic_event_stream": ("GetPeriodicEventStream", False),
    "change_transaction_tariff": ("ChangeTransactionTariff", False),
    "clear_tariffs": ("ClearTariffs", False),
    "get_tariffs": ("GetTariffs", False),
    "set_default_tariff": ("SetDefaultTariff", False),
    "set_der_control": ("SetDERControl", False),
    "get_der_control": ("GetDERControl", True),
    "clear_der_control": ("ClearDERControl", False),
    "notify_allowed_energy_transfer": ("NotifyAllowedEnergyTransfer", False),
    "request_battery_swap": ("RequestBatterySwap", True),
    "update_dynamic_schedule": ("UpdateDynamicSchedule", False),
    "use_priority_charging": ("UsePriorityCharging", False),
}
TRANSLATORS.update({name: passthrough_21(action, fills) for name, (action, fills) in V21_ADDITIONS.items()})

"""Version-neutral requests -> OCPP 1.6J calls (with the 1.6 security extension).

1.6 has no EVSE level: EVSE n is connector n, and a request naming another connector of an
EVSE, or a field 1.6 lacks, is refused (NotSupported) instead of being sent half-done.
"""

from __future__ import annotations

import orjson

from chargeline.csms.commands import requests as r
from chargeline.csms.commands.convert import (
    OcppCall,
    TranslateContext,
    Translator,
    charging_profile,
    compact,
    purpose_for,
    refuse_fields,
    when,
)
from chargeline.csms.commands.errors import InvalidRequest, NotSupported
from chargeline.ocpp.versions import OcppVersion

V16 = OcppVersion.V16
TRIGGER = frozenset({"BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat",
                     "MeterValues", "StatusNotification"})
EXTENDED_TRIGGER = frozenset({"BootNotification", "LogStatusNotification", "FirmwareStatusNotification", "Heartbeat",
                              "MeterValues", "SignChargePointCertificate", "StatusNotification"})
_TRIGGER_ALIASES = {"SignChargingStationCertificate": "SignChargePointCertificate"}
_CERTIFICATE_TYPES = {"CSMSRootCertificate": "CentralSystemRootCertificate",
                      "CentralSystemRootCertificate": "CentralSystemRootCertificate",
                      "ManufacturerRootCertificate": "ManufacturerRootCertificate"}


def _certificate_type(name: str) -> str:
    try:
        return _CERTIFICATE_TYPES[name]
    except KeyError:
        raise NotSupported(f"certificate type {name} has no equivalent in OCPP 1.6") from None


def remote_start(req: r.RemoteStart, ctx: TranslateContext) -> OcppCall:
    refuse_fields(req, V16, "RemoteStartTransaction", "group_id_token")
    if len(req.id_token) > 20:
        raise InvalidRequest("OCPP 1.6 idTag is at most 20 characters")
    profile = charging_profile(req.charging_profile, V16, remote_start=True) if req.charging_profile else None
    return OcppCall("RemoteStartTransaction", compact(idTag=req.id_token, connectorId=req.evse_id,
                                                      chargingProfile=profile))


def remote_stop(req: r.RemoteStop, ctx: TranslateContext) -> OcppCall:
    try:
        transaction_id = int(req.transaction_id.removeprefix("v16:"))
    except ValueError:
        raise InvalidRequest("an OCPP 1.6 transactionId is an integer") from None
    return OcppCall("RemoteStopTransaction", {"transactionId": transaction_id})


def reset(req: r.Reset, ctx: TranslateContext) -> OcppCall:
    refuse_fields(req, V16, "Reset", "evse_id")
    if req.type == "ImmediateAndResume":
        raise NotSupported("reset type ImmediateAndResume is OCPP 2.1")
    return OcppCall("Reset", {"type": "Hard" if req.type in ("Hard", "Immediate") else "Soft"})


def unlock(req: r.Unlock, ctx: TranslateContext) -> OcppCall:
    if req.connector_id != 1:
        raise NotSupported("OCPP 1.6 has one connector per EVSE (connector_id must be 1)")
    return OcppCall("UnlockConnector", {"connectorId": req.evse_id})


def change_availability(req: r.ChangeAvailability, ctx: TranslateContext) -> OcppCall:
    if req.connector_id not in (None, 1):
        raise NotSupported("OCPP 1.6 has one connector per EVSE (connector_id must be 1)")
    return OcppCall("ChangeAvailability", {"connectorId": req.evse_id or 0,
                                           "type": "Operative" if req.operational else "Inoperative"})


def get_configuration(req: r.GetConfiguration, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetConfiguration", compact(key=req.keys))


def change_configuration(req: r.ChangeConfiguration, ctx: TranslateContext) -> OcppCall:
    return OcppCall("ChangeConfiguration", {"key": req.key, "value": req.value})


def trigger_message(req: r.TriggerMessage, ctx: TranslateContext) -> OcppCall:
    refuse_fields(req, V16, "TriggerMessage", "custom_trigger")
    if req.connector_id not in (None, 1):
        raise NotSupported("OCPP 1.6 has one connector per EVSE (connector_id must be 1)")
    message = _TRIGGER_ALIASES.get(req.message, req.message)
    if message in TRIGGER:
        return OcppCall("TriggerMessage", compact(requestedMessage=message, connectorId=req.evse_id))
    if message in EXTENDED_TRIGGER:  # security extension
        return OcppCall("ExtendedTriggerMessage", compact(requestedMessage=message, connectorId=req.evse_id))
    raise NotSupported(f"OCPP 1.6 cannot trigger {req.message}")


def reserve_now(req: r.ReserveNow, ctx: TranslateContext) -> OcppCall:
    refuse_fields(req, V16, "ReserveNow", "connector_type")
    return OcppCall("ReserveNow", compact(
        connectorId=req.evse_id or 0, expiryDate=when(req.expiry), idTag=req.id_token,
        parentIdTag=req.group_id_token,
        reservationId=req.reservation_id if req.reservation_id is not None else ctx.request_id))


def cancel_reservation(req: r.CancelReservation, ctx: TranslateContext) -> OcppCall:
    return OcppCall("CancelReservation", {"reservationId": req.reservation_id})


def send_local_list(req: r.SendLocalList, ctx: TranslateContext) -> OcppCall:
    entries = []
    for e in req.entries:
        info = None if e.status is None else compact(status=e.status, expiryDate=when(e.expiry),
                                                     parentIdTag=e.group_id_token)
        entries.append(compact(idTag=e.id_token, idTagInfo=info))
    return OcppCall("SendLocalList", compact(listVersion=req.version, updateType=req.update_type,
                                             localAuthorizationList=entries or None))


def empty(action: str) -> Translator:
    def translate(req: r.Empty, ctx: TranslateContext) -> OcppCall:
        return OcppCall(action, {})
    return translate


def update_firmware(req: r.UpdateFirmware, ctx: TranslateContext) -> OcppCall:
    if req.signature is not None or req.signing_certificate is not None:
        if req.signature is None or req.signing_certificate is None:
            raise InvalidRequest("a signed update needs both signature and signing_certificate")
        firmware = compact(location=req.location, retrieveDateTime=when(req.retrieve_at),
                           installDateTime=when(req.install_at), signingCertificate=req.signing_certificate,
                           signature=req.signature)
        return OcppCall("SignedUpdateFirmware", compact(requestId=ctx.request_id, firmware=firmware,
                                                        retries=req.retries, retryInterval=req.retry_interval))
    refuse_fields(req, V16, "UpdateFirmware (unsigned)", "install_at")
    return OcppCall("UpdateFirmware", compact(location=req.location, retrieveDate=when(req.retrieve_at),
                                              retries=req.retries, retryInterval=req.retry_interval))


def get_diagnostics(req: r.GetDiagnostics, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetDiagnostics", compact(location=req.location, startTime=when(req.start),
                                              stopTime=when(req.stop), retries=req.retries,
                                              retryInterval=req.retry_interval))


def get_log(req: r.GetLog, ctx: TranslateContext) -> OcppCall:
    if req.log_type == "DataCollectorLog":
        raise NotSupported("log type DataCollectorLog is OCPP 2.1")
    log = compact(remoteLocation=req.location, oldestTimestamp=when(req.oldest), latestTimestamp=when(req.latest))
    return OcppCall("GetLog", compact(logType=req.log_type, requestId=ctx.request_id, log=log, retries=req.retries,
                                      retryInterval=req.retry_interval))


def data_transfer(req: r.DataTransfer, ctx: TranslateContext) -> OcppCall:
    data = req.data if req.data is None or isinstance(req.data, str) else orjson.dumps(req.data).decode()
    return OcppCall("DataTransfer", compact(vendorId=req.vendor_id, messageId=req.message_id, data=data))


def set_charging_profile(req: r.SetChargingProfile, ctx: TranslateContext) -> OcppCall:
    return OcppCall("SetChargingProfile", {"connectorId": req.evse_id,
                                           "csChargingProfiles": charging_profile(req.charging_profile, V16)})


def clear_charging_profile(req: r.ClearChargingProfile, ctx: TranslateContext) -> OcppCall:
    return OcppCall("ClearChargingProfile", compact(id=req.profile_id, connectorId=req.evse_id,
                                                    chargingProfilePurpose=purpose_for(req.purpose, V16),
                                                    stackLevel=req.stack_level))


def get_composite_schedule(req: r.GetCompositeSchedule, ctx: TranslateContext) -> OcppCall:
    return OcppCall("GetCompositeSchedule", compact(connectorId=req.evse_id, duration=req.duration,
                                                    chargingRateUnit=req.charging_rate_unit))


def install_certificate(req: r.InstallCertificate, ctx: TranslateContext) -> OcppCall:
    return OcppCall("InstallCertificate", {"certificateType": _certificate_type(req.certificate_type),
                                           "certificate": req.certificate})


def delete_certificate(req: r.DeleteCertificate, ctx: TranslateContext) -> OcppCall:
    return OcppCall("DeleteCertificate", {"certificateHashData": req.certificate_hash_data})


def get_installed_certificate_ids(req: r.GetInstalledCertificateIds, ctx: TranslateContext) -> OcppCall:
    if not req.certificate_types or len(req.certificate_types) != 1:
        raise InvalidRequest("OCPP 1.6 asks for exactly one certificate type per call")
    return OcppCall("GetInstalledCertificateIds", {"certificateType": _certificate_type(req.certificate_types[0])})


def certificate_signed(req: r.CertificateSigned, ctx: TranslateContext) -> OcppCall:
    if req.certificate_type not in (None, "ChargingStationCertificate"):
        raise NotSupported("OCPP 1.6 only signs the charge point certificate")
    return OcppCall("CertificateSigned", {"certificateChain": req.certificate_chain})


TRANSLATORS: dict[str, Translator] = {
    "remote_start": remote_start,
    "remote_stop": remote_stop,
    "reset": reset,
    "unlock": unlock,
    "change_availability": change_availability,
    "get_configuration": get_configuration,
    "change_configuration": change_configuration,
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
    "get_composite_schedule": get_composite_schedule,
    "install_certificate": install_certificate,
    "delete_certificate": delete_certificate,
    "get_installed_certificate_ids": get_installed_certificate_ids,
    "certificate_signed": certificate_signed,
}

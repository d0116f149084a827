"""Version translation, redaction and roles: pure functions, no server."""

from __future__ import annotations

from typing import Any

import pytest

from chargeline.csms.commands import OPERATIONS, required_role
from chargeline.csms.commands import requests as r
from chargeline.csms.commands.convert import TranslateContext
from chargeline.csms.commands.errors import InvalidRequest, NotSupported
from chargeline.csms.commands.redact import mask_token, redact, redact_frame
from chargeline.csms.commands.service import CommandService
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion

V16, V201, V21 = OcppVersion.V16, OcppVersion.V201, OcppVersion.V21


def translate(operation: str, params: dict, version: OcppVersion, request_id: int = 77):
    op = OPERATIONS[operation]
    translator = op.translator(version)
    assert translator is not None, f"{operation} has no {version.label} translator"
    return translator(op.model.model_validate(params), TranslateContext(version, request_id))


def test_every_translation_of_the_catalogue_is_schema_valid_for_its_example() -> None:
    """Each operation with a minimal request produces a payload its version's schema accepts."""
    examples: dict[str, dict[str, Any]] = {
        "remote_start": {"id_token": "T1"}, "remote_stop": {"transaction_id": "5"}, "reset": {"type": "Soft"},
        "unlock": {"evse_id": 1}, "change_availability": {"operational": True}, "get_configuration": {},
        "change_configuration": {"key": "K", "value": "V"},
        "get_variables": {"variables": [{"component": {"name": "C"}, "variable": {"name": "V"}}]},
        "set_variables": {"variables": [{"component": {"name": "C"}, "variable": {"name": "V"},
                                         "attribute_value": "1"}]},
        "get_base_report": {}, "get_report": {}, "trigger_message": {"message": "Heartbeat"},
        "reserve_now": {"expiry": "2030-01-01T00:00:00Z", "id_token": "T1"},
        "cancel_reservation": {"reservation_id": 1}, "send_local_list": {"version": 1, "update_type": "Full"},
        "get_local_list_version": {}, "clear_cache": {},
        "update_firmware": {"location": "https://x/f", "retrieve_at": "2030-01-01T00:00:00Z"},
        "get_diagnostics": {"location": "https://x/"}, "get_log": {"location": "https://x/"},
        "data_transfer": {"vendor_id": "v"}, "clear_charging_profile": {},
        "get_charging_profiles": {}, "get_composite_schedule": {"evse_id": 0, "duration": 60},
        "install_certificate": {"certificate_type": "ManufacturerRootCertificate", "certificate": "PEM"},
        "delete_certificate": {"certificate_hash_data": {"hashAlgorithm": "SHA256", "issuerNameHash": "a",
                                                         "issuerKeyHash": "b", "serialNumber": "c"}},
        "get_installed_certificate_ids": {"certificate_types": ["ManufacturerRootCertificate"]},
        "certificate_signed": {"certificate_chain": "PEM"},
        "get_display_messages": {}, "clear_display_message": {"id": 1}, "customer_information": {},
        "get_transaction_status": {}, "cost_updated": {"total_cost": 1, "transaction_id": "t"},
        "clear_variable_monitoring": {"ids": [1]}, "set_monitoring_base": {"base": "All"},
        "set_monitoring_level": {"severity": 1}, "get_monitoring_report": {},
        "unpublish_firmware": {"checksum": "c"},
        "publish_firmware": {"location": "https://x/f", "checksum": "c"},
        "get_periodic_event_stream": {"payload": {}}, "clear_tariffs": {"payload": {}},
        "get_tariffs": {"payload": {"evseId": 1}}, "get_der_control": {"payload": {}},
    }
    checked = 0
    for name, params in examples.items():
        for version in OPERATIONS[name].translators:
            call = translate(name, params, version)
            registry_for(version).validate_request(call.action, call.payload)
            checked += 1
    assert checked > 100


def test_names_and_shapes_differ_per_version() -> None:
    assert translate("remote_start", {"id_token": "T1", "evse_id": 2}, V16).payload == {"idTag": "T1",
                                                                                       "connectorId": 2}
    assert translate("remote_start", {"id_token": "T1", "evse_id": 2}, V201).payload == {
        "idToken": {"idToken": "T1", "type": "Central"}, "remoteStartId": 77, "evseId": 2}
    assert translate("reset", {"type": "Hard"}, V201).payload == {"type": "Immediate"}
    assert translate("reset", {"type": "OnIdle"}, V16).payload == {"type": "Soft"}
    assert translate("get_diagnostics", {"location": "u"}, V16).action == "GetDiagnostics"
    assert translate("get_diagnostics", {"location": "u"}, V21).action == "GetLog"
    assert translate("trigger_message", {"message": "LogStatusNotification"}, V16).action == "ExtendedTriggerMessage"
    assert translate("update_firmware", {"location": "u", "retrieve_at": "2030-01-01T00:00:00Z"}, V16).action == \
        "UpdateFirmware"
    assert translate("clear_charging_profile", {"purpose": "ChargePointMaxProfile"}, V21).payload == {
        "chargingProfileCriteria": {"chargingProfilePurpose": "ChargingStationMaxProfile"}}
    assert translate("data_transfer", {"vendor_id": "v", "data": [1, 2]}, V16).payload["data"] == "[1,2]"
    assert translate("reserve_now", {"expiry": "2030-01-01T01:00:00+01:00", "id_token": "T"}, V16).payload[
        "expiryDate"] == "2030-01-01T00:00:00.000Z"


@pytest.mark.parametrize(("operation", "params", "version", "error"), [
    ("reset", {"type": "Soft", "evse_id": 1}, V16, NotSupported),
    ("reset", {"type": "ImmediateAndResume"}, V201, NotSupported),
    ("remote_start", {"id_token": "T", "group_id_token": "G"}, V16, NotSupported),
    ("remote_start", {"id_token": "X" * 21}, V16, InvalidRequest),
    ("remote_stop", {"transaction_id": "abc"}, V16, InvalidRequest),
    ("change_availability", {"operational": True, "connector_id": 1}, V201, InvalidRequest),
    ("get_installed_certificate_ids", {}, V16, InvalidRequest),
    ("install_certificate", {"certificate_type": "V2GRootCertificate", "certificate": "P"}, V16, NotSupported),
    ("update_firmware", {"location": "u", "retrieve_at": "2030-01-01T00:00:00Z", "signature": "s"}, V16,
     InvalidRequest),
    ("remote_start", {"id_token": "T", "charging_profile": {
        "id": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
        "chargingSchedule": [{"id": 1, "chargingRateUnit": "A",
                              "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6}]}]}}, V201, InvalidRequest),
])
def test_refusals(operation, params, version, error) -> None:
    with pytest.raises(error):
        translate(operation, params, version)


def test_operations_without_equivalent_have_no_translator() -> None:
    assert OPERATIONS["get_variables"].translator(V16) is None
    assert OPERATIONS["get_configuration"].translator(V201) is None
    assert OPERATIONS["set_der_control"].translator(V201) is None
    assert OPERATIONS["set_der_control"].translator(V21) is not None
    assert OPERATIONS["get_charging_profiles"].versions() == ["2.0.1", "2.1"]


def test_station_actions_are_never_sent() -> None:
    with pytest.raises(Exception, match="not a CSMS-to-station action"):
        CommandService._translate(OPERATIONS["raw"], r.Raw(action="Heartbeat", payload={}), V201, 1)
    with pytest.raises(Exception, match="not a CSMS-to-station action"):
        CommandService._translate(OPERATIONS["raw"], r.Raw(action="VatNumberValidation", payload={}), V21, 1)


def test_roles() -> None:
    assert required_role(OPERATIONS["reset"], r.Reset.model_validate({"type": "Soft"})) == "operator"
    assert required_role(OPERATIONS["update_firmware"], None) == "admin"
    assert required_role(OPERATIONS["change_configuration"], r.ChangeConfiguration(key="authorizationkey",
                                                                                   value="x")) == "admin"
    secure = r.SetVariables(variables=[r.SetVariable(component={"name": "SecurityCtrlr"},
                                                     variable={"name": "BasicAuthPassword"}, attribute_value="x")])
    assert required_role(OPERATIONS["set_variables"], secure) == "admin"


def test_redaction() -> None:
    assert mask_token("04A2B3C4D5E6F7") == "**********E6F7" and mask_token("ABC") == "***"
    assert redact({"key": "AuthorizationKey", "value": "secret"}) == {"key": "AuthorizationKey", "value": "***"}
    assert redact({"idToken": {"idToken": "04A2B3C4D5E6F7", "type": "ISO14443"}})["idToken"]["idToken"] == \
        "**********E6F7"
    assert redact({"connectionData": {"apn": {"apnPassword": "pw"}, "basicAuthPassword": "x"}}) == {
        "connectionData": {"apn": {"apnPassword": "***"}, "basicAuthPassword": "***"}}
    frame = '[2,"m1","SetVariables",{"setVariableData":[{"component":{"name":"SecurityCtrlr"},' \
            '"variable":{"name":"BasicAuthPassword"},"attributeValue":"hunter2-hunter2-hunter2"}]}]'
    assert "hunter2" not in redact_frame(frame)
    assert redact_frame("not json") == "not json"

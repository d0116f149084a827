"""Every 2.0.1 operation through the API against the `ocpp` package's 2.0.1 ChargePoint; 2.1 additions too."""

from __future__ import annotations

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call

from tests.api.helpers import CERT_HASH, ID, PEM, PROFILE_2X, TX_PROFILE_16, boot, command, expected
from tests.api.station import recording_station

STATION = "CS-201"
COMPONENT, VARIABLE = {"name": "OCPPCommCtrlr"}, {"name": "HeartbeatInterval"}
MESSAGE = {"id": 3, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "Welcome"}}
MONITOR = {"value": 10.0, "type": "Delta", "severity": 5, "component": {"name": "EVSE"}, "variable": {"name": "Power"}}
NETWORK = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": "wss://csms.example/ocpp",
           "messageTimeout": 30, "securityProfile": 2, "ocppInterface": "Wired0"}

CASES = [
    ("remote_start", {"id_token": "TAG-OK", "id_token_type": "ISO14443", "evse_id": 1, "group_id_token": "FLEET"},
     "RequestStartTransaction", {"idToken": {"idToken": "TAG-OK", "type": "ISO14443"}, "remoteStartId": ID,
                                 "evseId": 1, "groupIdToken": {"idToken": "FLEET", "type": "Central"}}, "Accepted"),
    ("remote_start", {"id_token": "TAG-OK", "charging_profile": TX_PROFILE_16}, "RequestStartTransaction",
     {"idToken": {"idToken": "TAG-OK", "type": "Central"}, "remoteStartId": ID, "chargingProfile": {
         "id": 8, "stackLevel": 0, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
         "chargingSchedule": [{"id": 1, "chargingRateUnit": "W",
                               "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400.0}]}]}}, "Accepted"),
    ("remote_stop", {"transaction_id": "tx-remote-1"}, "RequestStopTransaction", {"transactionId": "tx-remote-1"},
     "Accepted"),
    ("reset", {"type": "Hard"}, "Reset", {"type": "Immediate"}, "Accepted"),
    ("reset", {"type": "OnIdle", "evse_id": 2}, "Reset", {"type": "OnIdle", "evseId": 2}, "Accepted"),
    ("unlock", {"evse_id": 1, "connector_id": 2}, "UnlockConnector", {"evseId": 1, "connectorId": 2}, "Unlocked"),
    ("change_availability", {"operational": False, "evse_id": 1, "connector_id": 1}, "ChangeAvailability",
     {"operationalStatus": "Inoperative", "evse": {"id": 1, "connectorId": 1}}, "Accepted"),
    ("change_availability", {"operational": True}, "ChangeAvailability", {"operationalStatus": "Operative"},
     "Accepted"),
    ("get_variables", {"variables": [{"component": COMPONENT, "variable": VARIABLE, "attribute_type": "Actual"}]},
     "GetVariables", {"getVariableData": [{"component": COMPONENT, "variable": VARIABLE, "attributeType": "Actual"}]},
     None),
    ("set_variables", {"variables": [{"component": COMPONENT, "variable": VARIABLE, "attribute_value": "600"}]},
     "SetVariables", {"setVariableData": [{"component": COMPONENT, "variable": VARIABLE, "attributeValue": "600"}]},
     None),
    ("get_base_report", {"report_base": "ConfigurationInventory"}, "GetBaseReport",
     {"requestId": ID, "reportBase": "ConfigurationInventory"}, "Accepted"),
    ("get_report", {"component_criteria": ["Problem"]}, "GetReport",
     {"requestId": ID, "componentCriteria": ["Problem"]}, "Accepted"),
    ("trigger_message", {"message": "StatusNotification", "evse_id": 1, "connector_id": 1}, "TriggerMessage",
     {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}}, "Accepted"),
    ("trigger_message", {"message": "SignChargePointCertificate"}, "TriggerMessage",
     {"requestedMessage": "SignChargingStationCertificate"}, "Accepted"),
    ("reserve_now", {"expiry": "2030-01-01T00:00:00Z", "id_token": "TAG-OK", "evse_id": 1,
                     "connector_type": "cType2"}, "ReserveNow",
     {"id": ID, "expiryDateTime": "2030-01-01T00:00:00.000Z", "idToken": {"idToken": "TAG-OK", "type": "Central"},
      "evseId": 1, "connectorType": "cType2"}, "Accepted"),
    ("cancel_reservation", {"reservation_id": 4}, "CancelReservation", {"reservationId": 4}, "Accepted"),
    ("send_local_list", {"version": 4, "update_type": "Differential", "entries": [
        {"id_token": "TAG-OK", "id_token_type": "ISO14443", "status": "Accepted"},
        {"id_token": "OLD-CARD", "id_token_type": "ISO14443"}]}, "SendLocalList",
     {"versionNumber": 4, "updateType": "Differential", "localAuthorizationList": [
         {"idToken": {"idToken": "TAG-OK", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}},
         {"idToken": {"idToken": "OLD-CARD", "type": "ISO14443"}}]}, "Accepted"),
    ("get_local_list_version", {}, "GetLocalListVersion", {}, None),
    ("clear_cache", {}, "ClearCache", {}, "Accepted"),
    ("update_firmware", {"location": "https://fw.example/v2.bin", "retrieve_at": "2026-11-22T00:00:00Z",
                         "install_at": "2026-11-22T02:00:00Z", "retries": 1}, "UpdateFirmware",
     {"requestId": ID, "firmware": {"location": "https://fw.example/v2.bin",
                                    "retrieveDateTime": "2026-11-22T00:00:00.000Z",
                                    "installDateTime": "2026-11-22T02:00:00.000Z"}, "retries": 1}, "Accepted"),
    ("get_diagnostics", {"location": "https://logs.example/up"}, "GetLog",
     {"logType": "DiagnosticsLog", "requestId": ID, "log": {"remoteLocation": "https://logs.example/up"}},
     "Accepted"),
    ("get_log", {"log_type": "SecurityLog", "location": "https://logs.example/up", "latest": "2026-11-21T00:00:00Z"},
     "GetLog", {"logType": "SecurityLog", "requestId": ID, "log": {"remoteLocation": "https://logs.example/up",
                                                                   "latestTimestamp": "2026-11-21T00:00:00.000Z"}},
     "Accepted"),
    ("data_transfer", {"vendor_id": "com.example", "data": {"ping": 1}}, "DataTransfer",
     {"vendorId": "com.example", "data": {"ping": 1}}, "Accepted"),
    ("set_charging_profile", {"evse_id": 1, "charging_profile": PROFILE_2X}, "SetChargingProfile",
     {"evseId": 1, "chargingProfile": {**PROFILE_2X, "chargingSchedule": [{
         **PROFILE_2X["chargingSchedule"][0], "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}]}},
     "Accepted"),
    ("clear_charging_profile", {"profile_id": 5}, "ClearChargingProfile", {"chargingProfileId": 5}, "Accepted"),
    ("clear_charging_profile", {"purpose": "ChargePointMaxProfile", "stack_level": 0}, "ClearChargingProfile",
     {"chargingProfileCriteria": {"chargingProfilePurpose": "ChargingStationMaxProfile", "stackLevel": 0}},
     "Accepted"),
    ("get_charging_profiles", {"evse_id": 1, "purpose": "TxDefaultProfile"}, "GetChargingProfiles",
     {"requestId": ID, "evseId": 1, "chargingProfile": {"chargingProfilePurpose": "TxDefaultProfile"}}, "Accepted"),
    ("get_composite_schedule", {"evse_id": 1, "duration": 3600, "charging_rate_unit": "W"}, "GetCompositeSchedule",
     {"duration": 3600, "chargingRateUnit": "W", "evseId": 1}, "Accepted"),
    ("install_certificate", {"certificate_type": "CentralSystemRootCertificate", "certificate": PEM},
     "InstallCertificate", {"certificateType": "CSMSRootCertificate", "certificate": PEM}, "Accepted"),
    ("delete_certificate", {"certificate_hash_data": CERT_HASH}, "DeleteCertificate",
     {"certificateHashData": CERT_HASH}, "Accepted"),
    ("get_installed_certificate_ids", {"certificate_types": ["V2GRootCertificate", "CSMSRootCertificate"]},
     "GetInstalledCertificateIds", {"certificateType": ["V2GRootCertificate", "CSMSRootCertificate"]}, "NotFound"),
    ("certificate_signed", {"certificate_chain": PEM, "certificate_type": "ChargingStationCertificate"},
     "CertificateSigned", {"certificateChain": PEM, "certificateType": "ChargingStationCertificate"}, "Accepted"),
    ("set_display_message", {"message": MESSAGE}, "SetDisplayMessage", {"message": MESSAGE}, "Accepted"),
    ("get_display_messages", {"ids": [3]}, "GetDisplayMessages", {"requestId": ID, "id": [3]}, "Accepted"),
    ("clear_display_message", {"id": 3}, "ClearDisplayMessage", {"id": 3}, "Accepted"),
    ("customer_information", {"report": True, "clear": False, "id_token": "TAG-OK"}, "CustomerInformation",
     {"requestId": ID, "report": True, "clear": False, "idToken": {"idToken": "TAG-OK", "type": "Central"}},
     "Accepted"),
    ("get_transaction_status", {"transaction_id": "tx-remote-1"}, "GetTransactionStatus",
     {"transactionId": "tx-remote-1"}, None),
    ("cost_updated", {"total_cost": 12.5, "transaction_id": "tx-remote-1"}, "CostUpdated",
     {"totalCost": 12.5, "transactionId": "tx-remote-1"}, None),
    # validation never adds the schema's defaults: the station receives exactly what was built
    ("set_variable_monitoring", {"monitors": [MONITOR]}, "SetVariableMonitoring",
     {"setMonitoringData": [MONITOR]}, None),
    ("clear_variable_monitoring", {"ids": [11]}, "ClearVariableMonitoring", {"id": [11]}, None),
    ("set_monitoring_base", {"base": "FactoryDefault"}, "SetMonitoringBase", {"monitoringBase": "FactoryDefault"},
     "Accepted"),
    ("set_monitoring_level", {"severity": 4}, "SetMonitoringLevel", {"severity": 4}, "Accepted"),
    ("get_monitoring_report", {"monitoring_criteria": ["DeltaMonitoring"]}, "GetMonitoringReport",
     {"requestId": ID, "monitoringCriteria": ["DeltaMonitoring"]}, "Accepted"),
    ("set_network_profile", {"configuration_slot": 2, "connection_data": NETWORK}, "SetNetworkProfile",
     {"configurationSlot": 2, "connectionData": NETWORK}, "Accepted"),
    ("publish_firmware", {"location": "https://fw.example/v2.bin", "checksum": "0" * 32}, "PublishFirmware",
     {"location": "https://fw.example/v2.bin", "checksum": "0" * 32, "requestId": ID}, "Accepted"),
    ("unpublish_firmware", {"checksum": "0" * 32}, "UnpublishFirmware", {"checksum": "0" * 32}, "Unpublished"),
]


@pytest.mark.parametrize(("operation", "params", "action", "payload", "outcome"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
async def test_operation(api_server, client, operation, params, action, payload, outcome) -> None:
    async with recording_station(api_server.url, STATION, "2.0.1") as cp:
        await boot(cp, "2.0.1")
        response = await command(client, STATION, operation, params)
        assert response.status_code == 200, response.text
        record = response.json()
        assert cp.last(action) == expected(payload, record["id"])
        assert (record["status"], record["action"], record["ocpp_version"]) == ("completed", action, "2.0.1")
        assert record["outcome"] == outcome


@pytest.mark.parametrize(("operation", "params"), [
    ("get_configuration", {}),
    ("change_configuration", {"key": "HeartbeatInterval", "value": "60"}),
    ("reset", {"type": "ImmediateAndResume"}),
    ("trigger_message", {"message": "DiagnosticsStatusNotification"}),
    ("trigger_message", {"message": "CustomTrigger", "custom_trigger": "x"}),
    ("get_log", {"log_type": "DataCollectorLog", "location": "https://x.example/"}),
    ("use_priority_charging", {"payload": {"transactionId": "t", "activate": True}}),
    ("set_charging_profile", {"evse_id": 1, "charging_profile": {
        **PROFILE_2X, "chargingProfileKind": "Dynamic"}}),  # a 2.1 profile kind: never sent weaker
])
async def test_refused_for_201(api_server, client, operation, params) -> None:
    async with recording_station(api_server.url, STATION, "2.0.1") as cp:
        await boot(cp, "2.0.1")
        response = await command(client, STATION, operation, params)
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "not_supported_by_version"
        assert "OCPP 2" in response.json()["message"]  # the reason names the version
        await cp.call(call.Heartbeat())
        assert cp.received == []


async def test_reports_are_attached_to_the_command(api_server, client) -> None:
    async with recording_station(api_server.url, STATION, "2.0.1") as cp:
        await boot(cp, "2.0.1")
        record = (await command(client, STATION, "get_base_report", {"report_base": "FullInventory"})).json()
        request_id = cp.last("GetBaseReport")["requestId"]
        assert request_id == record["id"]
        pending = (await client.get(f"/api/v1/commands/{record['id']}")).json()
        assert pending["reports"] == {"items": [], "complete": False}
        variable = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
                    "variableAttribute": [{"type": "Actual", "value": "do-not-show-me", "mutability": "WriteOnly"}]}
        interval = {"component": COMPONENT, "variable": VARIABLE,
                    "variableAttribute": [{"type": "Actual", "value": "300"}]}
        await cp.call(call.NotifyReport(request_id=request_id, generated_at="2026-11-21T10:00:00Z", seq_no=0,
                                        tbc=True, report_data=[variable]))
        await cp.call(call.NotifyReport(request_id=request_id, generated_at="2026-11-21T10:00:01Z", seq_no=1,
                                        report_data=[interval]))
        other = (await command(client, STATION, "get_monitoring_report", {})).json()
        await cp.call(call.NotifyMonitoringReport(request_id=other["id"], seq_no=0,
                                                  generated_at="2026-11-21T10:00:02Z"))
    detail = (await client.get(f"/api/v1/commands/{record['id']}")).json()
    assert detail["reports"]["complete"] is True
    parts = detail["reports"]["items"]
    assert [p["action"] for p in parts] == ["NotifyReport", "NotifyReport"]
    assert parts[0]["payload"]["reportData"][0]["variableAttribute"][0]["value"] == "***"
    assert parts[1]["payload"]["reportData"][0]["variableAttribute"][0]["value"] == "300"
    monitoring = (await client.get(f"/api/v1/commands/{other['id']}")).json()
    assert [p["action"] for p in monitoring["reports"]["items"]] == ["NotifyMonitoringReport"]
    snapshot = (await client.get(f"/api/v1/stations/{STATION}/configuration")).json()
    values = {i["variable"]["name"]: i["variableAttribute"][0]["value"] for i in snapshot["items"]}
    assert values == {"BasicAuthPassword": "***", "HeartbeatInterval": "300"}


async def test_remote_start_links_the_transaction(api_server, client) -> None:
    async with recording_station(api_server.url, STATION, "2.0.1") as cp:
        await boot(cp, "2.0.1")
        record = (await command(client, STATION, "remote_start", {"id_token": "TAG-OK", "evse_id": 1})).json()
        await cp.call(call.TransactionEvent(
            event_type="Started", timestamp="2026-11-21T10:00:00Z", trigger_reason="RemoteStart", seq_no=0,
            transaction_info={"transaction_id": "tx-remote-1", "remote_start_id": record["id"]},
            evse={"id": 1, "connector_id": 1}))
    detail = (await client.get(f"/api/v1/commands/{record['id']}")).json()
    assert detail["transaction_id"] is not None
    tx = (await client.get(f"/api/v1/transactions/{detail['transaction_id']}")).json()
    assert tx["station_transaction_id"] == "tx-remote-1" and tx["remote_start_id"] == record["id"]


async def test_firmware_status_attached_for_16(api_server, client) -> None:
    async with recording_station(api_server.url, "CP-16", "1.6") as cp:
        await boot(cp, "1.6")
        record = (await command(client, "CP-16", "update_firmware", {
            "location": "https://fw.example/v9.bin", "retrieve_at": "2026-11-22T00:00:00Z"})).json()
        await cp.call(call16.FirmwareStatusNotification(status="Downloading"))
        await cp.call(call16.FirmwareStatusNotification(status="Installed"))
    detail = (await client.get(f"/api/v1/commands/{record['id']}")).json()
    assert [p["payload"]["status"] for p in detail["reports"]["items"]] == ["Downloading", "Installed"]
    assert detail["reports"]["complete"] is True


@pytest.mark.parametrize(("operation", "params", "action", "payload", "outcome"), [
    ("get_tariffs", {"payload": {"evseId": 1}}, "GetTariffs", {"evseId": 1}, "NoTariff"),
    ("clear_tariffs", {"payload": {}}, "ClearTariffs", {}, None),
    ("use_priority_charging", {"payload": {"transactionId": "t-1", "activate": True}}, "UsePriorityCharging",
     {"transactionId": "t-1", "activate": True}, "Accepted"),
    ("reset", {"type": "ImmediateAndResume"}, "Reset", {"type": "ImmediateAndResume"}, "Accepted"),
])
async def test_21_additions(api_server, client, operation, params, action, payload, outcome) -> None:
    async with recording_station(api_server.url, "CS-21", "2.1") as cp:
        await boot(cp, "2.1")
        response = await command(client, "CS-21", operation, params)
        assert response.status_code == 200, response.text
        assert cp.last(action) == payload and response.json()["outcome"] == outcome

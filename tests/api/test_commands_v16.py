"""Every operation a 1.6 station supports, through the API, against the `ocpp` package's 1.6 ChargePoint."""

from __future__ import annotations

import pytest
from ocpp.v16 import call

from tests.api.helpers import CERT_HASH, ID, PEM, PROFILE_2X, TX_PROFILE_16, boot, command, expected
from tests.api.station import recording_station

STATION = "CP-16"

# operation, neutral request, action the station must receive, exact payload, outcome in the record
CASES = [
    ("remote_start", {"id_token": "TAG-OK", "evse_id": 1}, "RemoteStartTransaction",
     {"idTag": "TAG-OK", "connectorId": 1}, "Accepted"),
    ("remote_start", {"id_token": "tag-ok", "evse_id": 2, "charging_profile": TX_PROFILE_16},
     "RemoteStartTransaction", {"idTag": "tag-ok", "connectorId": 2, "chargingProfile": {
         "chargingProfileId": 8, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
         "chargingProfileKind": "Relative", "chargingSchedule": {
             "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400.0}]}}},
     "Accepted"),
    ("remote_stop", {"transaction_id": "42"}, "RemoteStopTransaction", {"transactionId": 42}, "Accepted"),
    ("reset", {"type": "Soft"}, "Reset", {"type": "Soft"}, "Accepted"),
    ("reset", {"type": "Immediate"}, "Reset", {"type": "Hard"}, "Accepted"),
    ("unlock", {"evse_id": 1}, "UnlockConnector", {"connectorId": 1}, "Unlocked"),
    ("change_availability", {"operational": False, "evse_id": 1}, "ChangeAvailability",
     {"connectorId": 1, "type": "Inoperative"}, "Accepted"),
    ("change_availability", {"operational": True}, "ChangeAvailability", {"connectorId": 0, "type": "Operative"},
     "Accepted"),
    ("get_configuration", {"keys": ["HeartbeatInterval"]}, "GetConfiguration", {"key": ["HeartbeatInterval"]},
     None),
    ("change_configuration", {"key": "HeartbeatInterval", "value": "600"}, "ChangeConfiguration",
     {"key": "HeartbeatInterval", "value": "600"}, "Accepted"),
    ("trigger_message", {"message": "StatusNotification", "evse_id": 1}, "TriggerMessage",
     {"requestedMessage": "StatusNotification", "connectorId": 1}, "Accepted"),
    ("trigger_message", {"message": "SignChargingStationCertificate"}, "ExtendedTriggerMessage",
     {"requestedMessage": "SignChargePointCertificate"}, "Accepted"),
    ("reserve_now", {"expiry": "2030-01-01T00:00:00Z", "id_token": "TAG-OK", "evse_id": 1, "reservation_id": 9},
     "ReserveNow", {"connectorId": 1, "expiryDate": "2030-01-01T00:00:00.000Z", "idTag": "TAG-OK",
                    "reservationId": 9}, "Accepted"),
    ("reserve_now", {"expiry": "2030-01-01T00:00:00Z", "id_token": "TAG-OK"}, "ReserveNow",
     {"connectorId": 0, "expiryDate": "2030-01-01T00:00:00.000Z", "idTag": "TAG-OK", "reservationId": ID},
     "Accepted"),
    ("cancel_reservation", {"reservation_id": 9}, "CancelReservation", {"reservationId": 9}, "Accepted"),
    ("send_local_list", {"version": 3, "update_type": "Full", "entries": [
        {"id_token": "TAG-OK", "status": "Accepted", "group_id_token": "FLEET", "expiry": "2031-01-01T00:00:00Z"}]},
     "SendLocalList", {"listVersion": 3, "updateType": "Full", "localAuthorizationList": [
         {"idTag": "TAG-OK", "idTagInfo": {"status": "Accepted", "expiryDate": "2031-01-01T00:00:00.000Z",
                                           "parentIdTag": "FLEET"}}]}, "Accepted"),
    ("get_local_list_version", {}, "GetLocalListVersion", {}, None),
    ("clear_cache", {}, "ClearCache", {}, "Accepted"),
    ("update_firmware", {"location": "https://fw.example/v2.bin", "retrieve_at": "2026-11-22T00:00:00Z",
                         "retries": 2, "retry_interval": 60}, "UpdateFirmware",
     {"location": "https://fw.example/v2.bin", "retrieveDate": "2026-11-22T00:00:00.000Z", "retries": 2,
      "retryInterval": 60}, None),
    ("update_firmware", {"location": "https://fw.example/v3.bin", "retrieve_at": "2026-11-22T00:00:00Z",
                         "signing_certificate": PEM, "signature": "c2lnbmF0dXJl"}, "SignedUpdateFirmware",
     {"requestId": ID, "firmware": {"location": "https://fw.example/v3.bin",
                                    "retrieveDateTime": "2026-11-22T00:00:00.000Z", "signingCertificate": PEM,
                                    "signature": "c2lnbmF0dXJl"}}, "Accepted"),
    ("get_diagnostics", {"location": "ftp://logs.example/up", "start": "2026-11-20T00:00:00Z"}, "GetDiagnostics",
     {"location": "ftp://logs.example/up", "startTime": "2026-11-20T00:00:00.000Z"}, None),
    ("get_log", {"log_type": "SecurityLog", "location": "https://logs.example/up"}, "GetLog",
     {"logType": "SecurityLog", "requestId": ID, "log": {"remoteLocation": "https://logs.example/up"}}, "Accepted"),
    ("data_transfer", {"vendor_id": "com.example", "message_id": "ping", "data": {"a": 1}}, "DataTransfer",
     {"vendorId": "com.example", "messageId": "ping", "data": '{"a":1}'}, "Accepted"),
    ("set_charging_profile", {"evse_id": 1, "charging_profile": PROFILE_2X}, "SetChargingProfile",
     {"connectorId": 1, "csChargingProfiles": {
         "chargingProfileId": 5, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
         "chargingProfileKind": "Absolute", "chargingSchedule": {
             "startSchedule": "2026-11-21T00:00:00Z", "chargingRateUnit": "A",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}}, "Accepted"),
    ("clear_charging_profile", {"purpose": "ChargingStationMaxProfile", "evse_id": 0}, "ClearChargingProfile",
     {"connectorId": 0, "chargingProfilePurpose": "ChargePointMaxProfile"}, "Accepted"),
    ("get_composite_schedule", {"evse_id": 1, "duration": 3600, "charging_rate_unit": "A"}, "GetCompositeSchedule",
     {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"}, "Accepted"),
    ("install_certificate", {"certificate_type": "CSMSRootCertificate", "certificate": PEM}, "InstallCertificate",
     {"certificateType": "CentralSystemRootCertificate", "certificate": PEM}, "Accepted"),
    ("delete_certificate", {"certificate_hash_data": CERT_HASH}, "DeleteCertificate",
     {"certificateHashData": CERT_HASH}, "Accepted"),
    ("get_installed_certificate_ids", {"certificate_types": ["ManufacturerRootCertificate"]},
     "GetInstalledCertificateIds", {"certificateType": "ManufacturerRootCertificate"}, "Accepted"),
    ("certificate_signed", {"certificate_chain": PEM}, "CertificateSigned", {"certificateChain": PEM}, "Accepted"),
    ("raw", {"action": "ClearCache", "payload": {}}, "ClearCache", {}, "Accepted"),
]


@pytest.mark.parametrize(("operation", "params", "action", "payload", "outcome"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
async def test_operation(api_server, client, operation, params, action, payload, outcome) -> None:
    async with recording_station(api_server.url, STATION, "1.6") as cp:
        await boot(cp, "1.6")
        response = await command(client, STATION, operation, params)
        assert response.status_code == 200, response.text
        record = response.json()
        assert cp.last(action) == expected(payload, record["id"])
        assert (record["status"], record["action"], record["ocpp_version"]) == ("completed", action, "1.6")
        assert record["outcome"] == outcome
        assert record["actor"].startswith("key:") and record["message_id"]
    stored = (await client.get(f"/api/v1/commands/{record['id']}")).json()
    assert stored["status"] == "completed" and stored["response"] == record["response"]


async def test_answers_are_returned_and_secrets_redacted(api_server, client) -> None:
    async with recording_station(api_server.url, STATION, "1.6") as cp:
        await boot(cp, "1.6")
        record = (await command(client, STATION, "get_configuration", {})).json()
        keys = {k["key"]: k for k in record["response"]["configurationKey"]}
        assert keys["HeartbeatInterval"]["value"] == "300"
        assert keys["AuthorizationKey"]["value"] == "***"  # a station may echo a write-only key: never shown
        assert record["response"]["unknownKey"] == ["NoSuchKey"]
        assert (await command(client, STATION, "get_local_list_version", {})).json()["response"] == {"listVersion": 7}
        diag = (await command(client, STATION, "get_diagnostics", {"location": "ftp://x.example/"})).json()
        assert diag["response"] == {"fileName": "diagnostics.zip"}
    snapshot = (await client.get(f"/api/v1/stations/{STATION}/configuration")).json()
    assert snapshot["ocpp_version"] == "1.6"
    assert {i["key"]: i["value"] for i in snapshot["items"]} == {"HeartbeatInterval": "300", "AuthorizationKey": "***"}


@pytest.mark.parametrize(("operation", "params", "reason"), [
    ("get_variables", {"variables": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "X"}}]},
     "not_supported_by_version"),
    ("get_base_report", {}, "not_supported_by_version"),
    ("set_display_message", {"message": {"id": 1, "priority": "NormalCycle",
                                         "message": {"format": "UTF8", "content": "hi"}}}, "not_supported_by_version"),
    ("reset", {"type": "Soft", "evse_id": 1}, "not_supported_by_version"),
    ("unlock", {"evse_id": 1, "connector_id": 2}, "not_supported_by_version"),
    ("trigger_message", {"message": "TransactionEvent"}, "not_supported_by_version"),
    ("get_tariffs", {"payload": {"evseId": 1}}, "not_supported_by_version"),
    ("remote_start", {"id_token": "TAG-BLOCKED"}, "id_token_not_authorized"),
    ("remote_start", {"id_token": "NOBODY-KNOWS-ME"}, "id_token_not_authorized"),
    ("raw", {"action": "BootNotification", "payload": {"chargePointVendor": "x", "chargePointModel": "y"}},
     "not_supported_by_version"),
])
async def test_refused_with_409_and_nothing_sent(api_server, client, operation, params, reason) -> None:
    async with recording_station(api_server.url, STATION, "1.6") as cp:
        await boot(cp, "1.6")
        response = await command(client, STATION, operation, params)
        assert response.status_code == 409, response.text
        assert response.json()["error"] == reason
        await cp.call(call.Heartbeat())  # everything the CSMS sent before this answer has arrived
        assert cp.received == []


async def test_invalid_for_the_version_is_422(api_server, client) -> None:
    async with recording_station(api_server.url, STATION, "1.6") as cp:
        await boot(cp, "1.6")
        too_long = await command(client, STATION, "remote_start", {"id_token": "TAG-OK-" + "X" * 20})
        assert too_long.status_code in (409, 422)  # unknown token or too long for 1.6: refused either way
        bad = await command(client, STATION, "remote_stop", {"transaction_id": "not-a-number"})
        assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
        missing = await command(client, STATION, "reset", {})
        assert missing.status_code == 422 and missing.json()["error"] == "validation_error"
        await cp.call(call.Heartbeat())
        assert cp.received == []

"""Interop: the station against an independent CSMS built with the `ocpp` package.

The independent side sends every CSMS-initiated request of the version; `ocpp` validates each
request and each answer against the official schemas, and the test checks what the answer
means and what the station does next (notifications, uploads, reboots...).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest

from chargeline.ocpp.versions import OcppVersion
from chargeline.station import Ev, SimClock, StateDb, Station, StationConfig
from tests.station.conftest import fast_settings, until
from tests.station.independent_csms import FileServer, IndependentCsms, archive_names
from tests.station.pki import Ca, sign_firmware

FIRMWARE = b"CHARGELINE-FIRMWARE version=2.0.0\n" + bytes(range(256)) * 64


def _now(minutes: float = 0) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def files() -> Any:
    server = FileServer()
    server.files["/fw/fw-2.0.0.bin"] = FIRMWARE
    yield server
    server.close()


async def connect(version: str, tmp_path: Path) -> AsyncGenerator[tuple[IndependentCsms, Station]]:
    csms = IndependentCsms(version)
    async with csms.serve() as url:
        cfg = StationConfig(f"IOP-{version}", url=url, version=OcppVersion.parse(version), evses=2,
                            settings=fast_settings(version))
        station = Station(cfg, StateDb(tmp_path / "station.db"), SimClock(60))
        task = asyncio.create_task(station.run())
        await until(lambda: station.online, what="boot")
        try:
            yield csms, station
        finally:
            await station.stop()
            await task


async def arrives(csms: IndependentCsms, action: str, count: int = 1, where: Any = None) -> dict[str, Any]:
    def found() -> bool:
        return len([m for m in csms.messages(action) if where is None or where(m)]) >= count
    await until(found, what=action)
    return [m for m in csms.messages(action) if where is None or where(m)][count - 1]


async def test_interop_v16(tmp_path: Path, files: Any) -> None:
    gen = connect("1.6", tmp_path)
    csms, station = await gen.__anext__()
    try:
        await _v16(csms, station, files)
    finally:
        await gen.aclose()


async def _v16(csms: IndependentCsms, station: Station, files: Any) -> None:
    ask = csms.ask
    boot = await arrives(csms, "BootNotification")
    assert boot["chargePointVendor"] == "Chargeline" and boot["firmwareVersion"] == "1.0.0"
    await arrives(csms, "StatusNotification", where=lambda m: m["connectorId"] == 0)

    # configuration
    conf = await ask("GetConfiguration", key=["HeartbeatInterval", "NoSuchKey"])
    assert conf["configurationKey"] == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    assert conf["unknownKey"] == ["NoSuchKey"]
    everything = await ask("GetConfiguration")
    keys = {k["key"]: k for k in everything["configurationKey"]}
    assert "value" not in keys["AuthorizationKey"] and keys["NumberOfConnectors"]["value"] == "2"
    assert (await ask("ChangeConfiguration", key="HeartbeatInterval", value="120"))["status"] == "Accepted"
    assert (await ask("ChangeConfiguration", key="NoSuchKey", value="1"))["status"] == "NotSupported"
    assert (await ask("ChangeConfiguration", key="NumberOfConnectors", value="4"))["status"] == "Rejected"
    assert (await ask("ChangeConfiguration", key="MeterValueSampleInterval", value="x"))["status"] == "Rejected"
    assert (await ask("ChangeConfiguration", key="MeterValuesSampledData", value="Voltage,Bogus"))["status"] == \
        "Rejected"
    assert (await ask("ChangeConfiguration", key="WebSocketPingInterval", value="20"))["status"] == "RebootRequired"

    # availability
    assert (await ask("ChangeAvailability", connectorId=2, type="Inoperative"))["status"] == "Accepted"
    await arrives(csms, "StatusNotification", where=lambda m: m["connectorId"] == 2 and m["status"] == "Unavailable")
    assert (await ask("ChangeAvailability", connectorId=2, type="Operative"))["status"] == "Accepted"
    assert (await ask("ChangeAvailability", connectorId=7, type="Operative"))["status"] == "Rejected"

    # local list, cache, data transfer
    entry = [{"idTag": "LIST-1", "idTagInfo": {"status": "Accepted"}}]
    assert (await ask("SendLocalList", listVersion=3, updateType="Full", localAuthorizationList=entry))[
        "status"] == "Accepted"
    assert (await ask("GetLocalListVersion"))["listVersion"] == 3
    assert (await ask("SendLocalList", listVersion=3, updateType="Differential",
                      localAuthorizationList=[{"idTag": "LIST-2"}]))["status"] == "VersionMismatch"
    assert (await ask("SendLocalList", listVersion=4, updateType="Differential",
                      localAuthorizationList=[{"idTag": "LIST-1"}]))["status"] == "Accepted"
    assert (await ask("ClearCache"))["status"] == "Accepted"
    assert (await ask("DataTransfer", vendorId="Someone", messageId="X"))["status"] == "UnknownVendorId"
    assert (await ask("DataTransfer", vendorId="Chargeline", messageId="Echo", data="hi")) == {
        "status": "Accepted", "data": "hi"}

    # reservations
    assert (await ask("ReserveNow", connectorId=1, expiryDate=_now(30), idTag="RES-1", reservationId=7))[
        "status"] == "Accepted"
    await arrives(csms, "StatusNotification", where=lambda m: m["status"] == "Reserved")
    assert (await ask("ReserveNow", connectorId=9, expiryDate=_now(30), idTag="RES-1", reservationId=8))[
        "status"] == "Rejected"
    assert (await ask("CancelReservation", reservationId=7))["status"] == "Accepted"
    assert (await ask("CancelReservation", reservationId=7))["status"] == "Rejected"

    # triggers
    for what in ("Heartbeat", "StatusNotification", "MeterValues", "DiagnosticsStatusNotification",
                 "FirmwareStatusNotification", "BootNotification"):
        assert (await ask("TriggerMessage", requestedMessage=what))["status"] == "Accepted"
    await arrives(csms, "Heartbeat")
    await arrives(csms, "DiagnosticsStatusNotification")
    assert (await ask("TriggerMessage", requestedMessage="Heartbeat", connectorId=9))["status"] == "Rejected"
    assert (await ask("ExtendedTriggerMessage", requestedMessage="LogStatusNotification"))["status"] == "Accepted"
    await arrives(csms, "LogStatusNotification")

    # remote start with a profile, smart charging, remote stop
    profile = {"chargingProfileId": 5, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
               "chargingProfileKind": "Relative", "chargingSchedule": {
                   "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}
    assert (await ask("RemoteStartTransaction", connectorId=1, idTag="REMOTE-1", chargingProfile=profile))[
        "status"] == "Accepted"
    station.plug_in(1, Ev(soc=20.0))
    start = await arrives(csms, "StartTransaction")
    assert start["idTag"] == "REMOTE-1" and start["connectorId"] == 1
    await until(lambda: station.evse(1).meter.power_w > 0, what="charging")
    assert station.evse(1).meter.power_w == pytest.approx(16 * 230 * 3)
    composite = await ask("GetCompositeSchedule", connectorId=1, duration=3600, chargingRateUnit="A")
    assert composite["status"] == "Accepted"
    assert composite["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 16.0
    default = {"chargingProfileId": 9, "stackLevel": 0, "chargingProfilePurpose": "ChargePointMaxProfile",
               "chargingProfileKind": "Absolute", "chargingSchedule": {
                   "startSchedule": _now(-1), "chargingRateUnit": "A",
                   "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}]}}
    assert (await ask("SetChargingProfile", connectorId=1, csChargingProfiles=default))["status"] == "Rejected"
    assert (await ask("SetChargingProfile", connectorId=0, csChargingProfiles=default))["status"] == "Accepted"
    await until(lambda: station.evse(1).meter.power_w == pytest.approx(10 * 230 * 3), what="limit applied")
    assert (await ask("ClearChargingProfile", id=9))["status"] == "Accepted"
    assert (await ask("ClearChargingProfile", id=9))["status"] == "Unknown"
    tx_id = csms.cp.next_tx
    assert (await ask("RemoteStopTransaction", transactionId=999))["status"] == "Rejected"
    assert (await ask("RemoteStopTransaction", transactionId=tx_id))["status"] == "Accepted"
    stop = await arrives(csms, "StopTransaction")
    assert stop["transactionId"] == tx_id and stop["reason"] == "Remote" and stop["meterStop"] > start["meterStart"]
    assert (await ask("UnlockConnector", connectorId=1))["status"] == "Unlocked"
    assert (await ask("UnlockConnector", connectorId=5))["status"] == "NotSupported"
    station.unplug(1)

    # certificates: install a root, sign our CSR, read and delete ids
    ca = Ca()
    assert (await ask("InstallCertificate", certificateType="CentralSystemRootCertificate",
                      certificate=ca.pem))["status"] == "Accepted"
    ids = await ask("GetInstalledCertificateIds", certificateType="CentralSystemRootCertificate")
    assert ids["status"] == "Accepted" and len(ids["certificateHashData"]) == 1
    assert (await ask("GetInstalledCertificateIds", certificateType="ManufacturerRootCertificate"))[
        "status"] == "NotFound"
    assert (await ask("ExtendedTriggerMessage", requestedMessage="SignChargePointCertificate"))[
        "status"] == "Accepted"
    csr = (await arrives(csms, "SignCertificate"))["csr"]
    other = Ca("Other CA")
    assert (await ask("CertificateSigned", certificateChain=other.pem))["status"] == "Rejected"
    assert (await ask("CertificateSigned", certificateChain=ca.sign_csr(csr)))["status"] == "Accepted"
    assert station.certs.client_identity() is not None
    assert (await ask("DeleteCertificate", certificateHashData=ids["certificateHashData"][0]))["status"] == "Accepted"
    assert (await ask("DeleteCertificate", certificateHashData=ids["certificateHashData"][0]))["status"] == "NotFound"

    # diagnostics and logs uploaded over HTTP
    name = (await ask("GetDiagnostics", location=f"{files.url}/upload/"))["fileName"]
    await arrives(csms, "DiagnosticsStatusNotification", where=lambda m: m["status"] == "Uploaded")
    assert "station.log" in archive_names(files.uploads[f"/upload/{name}"])
    log = await ask("GetLog", logType="SecurityLog", requestId=4, log={"remoteLocation": f"{files.url}/logs/"})
    assert log["status"] == "Accepted"
    await arrives(csms, "LogStatusNotification", where=lambda m: m["status"] == "Uploaded")
    assert "security.log" in archive_names(files.uploads[f"/logs/{log['filename']}"])

    # firmware: a failed download, then a real update with a restart on the new version
    assert await ask("UpdateFirmware", location=f"{files.url}/fw/missing.bin", retrieveDate=_now(), retries=0) == {}
    await arrives(csms, "FirmwareStatusNotification", where=lambda m: m["status"] == "DownloadFailed")
    assert await ask("UpdateFirmware", location=f"{files.url}/fw/fw-2.0.0.bin", retrieveDate=_now()) == {}
    await arrives(csms, "FirmwareStatusNotification", where=lambda m: m["status"] == "Installed")
    statuses = [m["status"] for m in csms.messages("FirmwareStatusNotification")]
    assert statuses[-4:] == ["Downloading", "Downloaded", "Installing", "Installed"]
    reboot = csms.messages("BootNotification")[-1]
    assert reboot["firmwareVersion"] == "2.0.0"
    assert any(m["type"] == "FirmwareUpdated" for m in csms.messages("SecurityEventNotification"))

    # signed firmware (security extension)
    signer_pem, signer_key = ca.signing_certificate()
    assert (await ask("InstallCertificate", certificateType="ManufacturerRootCertificate",
                      certificate=ca.pem))["status"] == "Accepted"
    files.files["/fw/fw-2.1.0.bin"] = FIRMWARE.replace(b"2.0.0", b"2.1.0")
    signed = await ask("SignedUpdateFirmware", requestId=11, firmware={
        "location": f"{files.url}/fw/fw-2.1.0.bin", "retrieveDateTime": _now(), "signingCertificate": signer_pem,
        "signature": sign_firmware(files.files["/fw/fw-2.1.0.bin"], signer_key)})
    assert signed["status"] == "Accepted"
    await arrives(csms, "SignedFirmwareStatusNotification", where=lambda m: m["status"] == "Installed")
    assert "SignatureVerified" in [m["status"] for m in csms.messages("SignedFirmwareStatusNotification")]
    assert csms.messages("BootNotification")[-1]["firmwareVersion"] == "2.1.0"

    # reset: a real restart
    boots = len(csms.messages("BootNotification"))
    assert (await ask("Reset", type="Soft"))["status"] == "Accepted"
    await arrives(csms, "BootNotification", count=boots + 1)


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_interop_v2(version: str, tmp_path: Path, files: Any) -> None:
    gen = connect(version, tmp_path)
    csms, station = await gen.__anext__()
    try:
        await _v2(csms, station, files, version)
    finally:
        await gen.aclose()


def _cv(component: str, variable: str, **extra: Any) -> dict[str, Any]:
    return {"component": {"name": component}, "variable": {"name": variable}, **extra}


async def _v2(csms: IndependentCsms, station: Station, files: Any, version: str) -> None:
    ask = csms.ask
    boot = await arrives(csms, "BootNotification")
    assert boot["reason"] == "PowerUp" and boot["chargingStation"]["firmwareVersion"] == "1.0.0"
    await arrives(csms, "StatusNotification", count=2)

    # device model
    got = (await ask("GetVariables", getVariableData=[
        _cv("OCPPCommCtrlr", "HeartbeatInterval"), _cv("Nope", "X"), _cv("OCPPCommCtrlr", "Nope"),
        _cv("SecurityCtrlr", "BasicAuthPassword"), _cv("OCPPCommCtrlr", "HeartbeatInterval", attributeType="Target"),
    ]))["getVariableResult"]
    assert [r["attributeStatus"] for r in got] == ["Accepted", "UnknownComponent", "UnknownVariable", "Rejected",
                                                   "NotSupportedAttributeType"]
    assert got[0]["attributeValue"] == "300"
    setv = (await ask("SetVariables", setVariableData=[
        _cv("OCPPCommCtrlr", "HeartbeatInterval", attributeValue="90"),
        _cv("SampledDataCtrlr", "TxUpdatedInterval", attributeValue="-4"),
        _cv("ChargingStation", "Model", attributeValue="X"),
        _cv("TxCtrlr", "TxStartPoint", attributeValue="Bogus"),
    ]))["setVariableResult"]
    assert [r["attributeStatus"] for r in setv] == ["Accepted", "Rejected", "Rejected", "Rejected"]
    assert station.settings.integer("heartbeat_interval") == 90
    assert (await ask("GetBaseReport", requestId=1, reportBase="FullInventory"))["status"] == "Accepted"
    await arrives(csms, "NotifyReport", where=lambda m: m["requestId"] == 1 and not m.get("tbc"))
    pages = [m for m in csms.messages("NotifyReport") if m["requestId"] == 1]
    assert [p["seqNo"] for p in pages] == list(range(len(pages))) and len(pages) > 1
    assert (await ask("GetReport", requestId=2, componentVariable=[{"component": {"name": "TxCtrlr"}}]))[
        "status"] == "Accepted"
    report = await arrives(csms, "NotifyReport", where=lambda m: m["requestId"] == 2)
    assert {r["variable"]["name"] for r in report["reportData"]} >= {"TxStartPoint", "TxStopPoint"}
    assert (await ask("GetReport", requestId=3, componentVariable=[{"component": {"name": "Nope"}}]))[
        "status"] == "EmptyResultSet"
    assert (await ask("SetNetworkProfile", configurationSlot=1, connectionData={
        **({"ocppVersion": "OCPP20"} if version == "2.0.1" else {}), "ocppTransport": "JSON",
        "ocppCsmsUrl": "wss://csms.example/ocpp", "messageTimeout": 30, "securityProfile": 2,
        "ocppInterface": "Wired0"}))["status"] == "Accepted"

    # monitoring
    power = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}
    mon = (await ask("SetVariableMonitoring", setMonitoringData=[
        {"value": 1000, "type": "UpperThreshold", "severity": 5, **power},
        {"value": 5, "type": "Delta", "severity": 5, **_cv("ChargingStation", "Model")}]))["setMonitoringResult"]
    assert [m["status"] for m in mon] == ["Accepted", "UnsupportedMonitorType"]
    assert (await ask("GetMonitoringReport", requestId=5))["status"] == "Accepted"
    await arrives(csms, "NotifyMonitoringReport")
    assert (await ask("SetMonitoringLevel", severity=8))["status"] == "Accepted"

    # remote start / stop with a profile; monitor fires when power rises
    profile = {"id": 5, "stackLevel": 1, "chargingProfilePurpose": "TxProfile", "chargingProfileKind": "Relative",
               "chargingSchedule": [{"id": 1, "chargingRateUnit": "A",
                                     "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}]}
    started = await ask("RequestStartTransaction", evseId=1, remoteStartId=42,
                        idToken={"idToken": "REMOTE-1", "type": "Central"}, chargingProfile=profile)
    assert started["status"] == "Accepted"
    station.plug_in(1, Ev(soc=20.0))
    first = await arrives(csms, "TransactionEvent")
    assert first["eventType"] == "Started" and first["transactionInfo"]["remoteStartId"] == 42
    tx_id = first["transactionInfo"]["transactionId"]
    await until(lambda: station.evse(1).meter.power_w == pytest.approx(16 * 230 * 3), what="charging at 16 A")
    event = await arrives(csms, "NotifyEvent")
    assert event["eventData"][0]["variableMonitoringId"] == mon[0]["id"]
    status = await ask("GetTransactionStatus", transactionId=tx_id)
    assert status["ongoingIndicator"] is True
    assert (await ask("GetChargingProfiles", requestId=6, chargingProfile={"chargingProfilePurpose": "TxProfile"}))[
        "status"] == "Accepted"
    reported = await arrives(csms, "ReportChargingProfiles")
    assert reported["chargingProfile"][0]["id"] == 5 and reported["evseId"] == 1
    composite = await ask("GetCompositeSchedule", evseId=1, duration=600, chargingRateUnit="A")
    assert composite["schedule"]["chargingSchedulePeriod"][0]["limit"] == 16.0
    assert (await ask("GetCompositeSchedule", evseId=9, duration=600))["status"] == "Rejected"
    duplicate = {**profile, "id": 6}
    assert (await ask("SetChargingProfile", evseId=1, chargingProfile={**duplicate, "transactionId": "nope"}))[
        "status"] == "Rejected"
    assert (await ask("ClearChargingProfile", chargingProfileId=77))["status"] == "Unknown"
    assert (await ask("UnlockConnector", evseId=1, connectorId=1))["status"] == "OngoingAuthorizedTransaction"
    assert (await ask("UnlockConnector", evseId=4, connectorId=1))["status"] == "UnknownConnector"
    assert (await ask("CostUpdated", totalCost=1.23, transactionId=tx_id)) == {}
    assert (await ask("SetDisplayMessage", message={"id": 1, "priority": "InFront", "transactionId": tx_id,
                                                    "message": {"format": "UTF8", "content": "Hello"}}))[
        "status"] == "Accepted"
    assert (await ask("SetDisplayMessage", message={"id": 2, "priority": "InFront", "transactionId": "x",
                                                    "message": {"format": "UTF8", "content": "?"}}))[
        "status"] == "UnknownTransaction"
    assert (await ask("GetDisplayMessages", requestId=7))["status"] == "Accepted"
    await arrives(csms, "NotifyDisplayMessages")
    assert (await ask("ClearDisplayMessage", id=1))["status"] == "Accepted"
    assert (await ask("ClearDisplayMessage", id=1))["status"] == "Unknown"
    assert (await ask("TriggerMessage", requestedMessage="TransactionEvent", evse={"id": 1}))["status"] == "Accepted"
    await arrives(csms, "TransactionEvent", where=lambda m: m["triggerReason"] == "Trigger")
    assert (await ask("RequestStopTransaction", transactionId="nope"))["status"] == "Rejected"
    assert (await ask("RequestStopTransaction", transactionId=tx_id))["status"] == "Accepted"
    ended = await arrives(csms, "TransactionEvent", where=lambda m: m["eventType"] == "Ended")
    assert ended["transactionInfo"]["stoppedReason"] == "Remote" and ended["triggerReason"] == "RemoteStop"
    seqs = [m["seqNo"] for m in csms.messages("TransactionEvent") if m["transactionInfo"]["transactionId"] == tx_id]
    assert seqs == list(range(len(seqs)))
    station.unplug(1)

    # availability and reservations
    assert (await ask("ChangeAvailability", operationalStatus="Inoperative", evse={"id": 2}))["status"] == "Accepted"
    await arrives(csms, "StatusNotification", where=lambda m: m["evseId"] == 2 and m["connectorStatus"] ==
                  "Unavailable")
    assert (await ask("ReserveNow", id=3, expiryDateTime=_now(30), idToken={"idToken": "R", "type": "ISO14443"},
                      evseId=2))["status"] == "Unavailable"
    assert (await ask("ChangeAvailability", operationalStatus="Operative", evse={"id": 2}))["status"] == "Accepted"
    assert (await ask("ReserveNow", id=3, expiryDateTime=_now(30), idToken={"idToken": "R", "type": "ISO14443"},
                      evseId=2))["status"] == "Accepted"
    assert (await ask("CancelReservation", reservationId=3))["status"] == "Accepted"
    await arrives(csms, "ReservationStatusUpdate")

    # authorization lists
    entry = [{"idToken": {"idToken": "LIST-1", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}}]
    assert (await ask("SendLocalList", versionNumber=2, updateType="Full", localAuthorizationList=entry))[
        "status"] == "Accepted"
    assert (await ask("GetLocalListVersion"))["versionNumber"] == 2
    assert (await ask("SendLocalList", versionNumber=1, updateType="Differential"))["status"] == "VersionMismatch"
    assert (await ask("ClearCache"))["status"] == "Accepted"
    info = await ask("CustomerInformation", requestId=8, report=True, clear=False,
                     idToken={"idToken": "LIST-1", "type": "ISO14443"})
    assert info["status"] == "Accepted"
    await arrives(csms, "NotifyCustomerInformation")
    assert (await ask("CustomerInformation", requestId=9, report=True, clear=False))["status"] == "Invalid"
    assert (await ask("DataTransfer", vendorId="Chargeline", messageId="Echo", data={"a": 1})) == {
        "status": "Accepted", "data": {"a": 1}}

    # certificates
    ca = Ca()
    assert (await ask("InstallCertificate", certificateType="CSMSRootCertificate", certificate=ca.pem))[
        "status"] == "Accepted"
    ids = await ask("GetInstalledCertificateIds", certificateType=["CSMSRootCertificate"])
    assert len(ids["certificateHashDataChain"]) == 1
    assert (await ask("TriggerMessage", requestedMessage="SignChargingStationCertificate"))["status"] == "Accepted"
    sign = await arrives(csms, "SignCertificate")
    assert sign["certificateType"] == "ChargingStationCertificate"
    assert (await ask("CertificateSigned", certificateChain=ca.sign_csr(sign["csr"]),
                      certificateType="ChargingStationCertificate"))["status"] == "Accepted"
    hash_data = ids["certificateHashDataChain"][0]["certificateHashData"]
    assert (await ask("DeleteCertificate", certificateHashData=hash_data))["status"] == "Accepted"

    # logs and firmware
    log = await ask("GetLog", logType="DiagnosticsLog", requestId=12, log={"remoteLocation": f"{files.url}/up/"})
    await arrives(csms, "LogStatusNotification", where=lambda m: m["status"] == "Uploaded")
    assert "station.log" in archive_names(files.uploads[f"/up/{log['filename']}"])
    fw = await ask("UpdateFirmware", requestId=13, firmware={"location": f"{files.url}/fw/fw-2.0.0.bin",
                                                             "retrieveDateTime": _now()})
    assert fw["status"] == "Accepted"
    await arrives(csms, "FirmwareStatusNotification", where=lambda m: m["status"] == "Installed")
    assert [m["status"] for m in csms.messages("FirmwareStatusNotification")][-5:] == [
        "Downloading", "Downloaded", "Installing", "InstallRebooting", "Installed"]
    assert csms.messages("BootNotification")[-1]["reason"] == "FirmwareUpdate"
    assert csms.messages("BootNotification")[-1]["chargingStation"]["firmwareVersion"] == "2.0.0"

    if version == "2.1":  # what this charger has no hardware or tariffs for is answered, not crashed on
        assert (await ask("GetTariffs", evseId=1))["status"] == "NoTariff"
        assert (await ask("ClearTariffs"))["clearTariffsResult"][0]["status"] == "NoTariff"
        assert (await ask("UsePriorityCharging", transactionId="x", activate=True))["status"] == "Rejected"
        assert (await ask("AFRRSignal", timestamp=_now(), signal=1))["status"] == "Rejected"
        assert (await ask("ClearDERControl", isDefault=True))["status"] == "NotSupported"
        assert (await ask("GetPeriodicEventStream")) == {}

    boots = len(csms.messages("BootNotification"))
    assert (await ask("Reset", type="Immediate"))["status"] == "Accepted"
    await arrives(csms, "BootNotification", count=boots + 1)
    assert csms.messages("BootNotification")[-1]["reason"] == "RemoteReset"

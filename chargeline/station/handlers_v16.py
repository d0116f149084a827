"""OCPP 1.6J (with the security extension): the messages a station sends and its answers.

Feature profiles Core, FirmwareManagement, LocalAuthListManagement, Reservation,
SmartCharging and RemoteTrigger, plus the security whitepaper's messages. 1.6 connector n is
EVSE n; connector 0 is the whole station.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chargeline.domain.clock import parse_station_time
from chargeline.ocpp.rpc import InboundCall
from chargeline.station.adapter import Adapter, Handler
from chargeline.station.authorization import Token
from chargeline.station.connectors import Evse, Reservation
from chargeline.station.meter import Sample
from chargeline.station.store import QueuedMessage

if TYPE_CHECKING:
    from chargeline.station.runtime import Station
    from chargeline.station.transactions import Transaction

# neutral stop reason -> 1.6 Reason
REASONS = {"Local": "Local", "Remote": "Remote", "EVDisconnected": "EVDisconnected", "DeAuthorized": "DeAuthorized",
           "PowerLoss": "PowerLoss", "Reboot": "Reboot", "HardReset": "HardReset", "SoftReset": "SoftReset",
           "ImmediateReset": "HardReset", "UnlockCommand": "UnlockCommand", "EmergencyStop": "EmergencyStop"}
FIRMWARE_16 = frozenset({"Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed", "Installing",
                         "Installed"})


def _tag_info(info: dict[str, Any]) -> dict[str, Any]:
    """1.6 IdTagInfo -> neutral {status, expiry, group}."""
    return {"status": info.get("status", "Invalid"), "expiry": info.get("expiryDate"),
            "group": info.get("parentIdTag")}


class V16Adapter(Adapter):
    def __init__(self, station: Station):
        super().__init__(station)
        self.station_scheduled: bool | None = None
        self.handlers: dict[str, Handler] = {
            "CancelReservation": self.cancel_reservation,
            "CertificateSigned": self.certificate_signed_16,
            "ChangeAvailability": self.change_availability,
            "ChangeConfiguration": self.change_configuration,
            "ClearCache": self.clear_cache,
            "ClearChargingProfile": self.clear_charging_profile,
            "DataTransfer": self.data_transfer,
            "DeleteCertificate": self.delete_certificate,
            "ExtendedTriggerMessage": self.extended_trigger,
            "GetCompositeSchedule": self.get_composite_schedule,
            "GetConfiguration": self.get_configuration,
            "GetDiagnostics": self.get_diagnostics,
            "GetInstalledCertificateIds": self.get_installed_certificate_ids,
            "GetLocalListVersion": self.get_local_list_version,
            "GetLog": self.get_log,
            "InstallCertificate": self.install_certificate,
            "RemoteStartTransaction": self.remote_start,
            "RemoteStopTransaction": self.remote_stop,
            "ReserveNow": self.reserve_now,
            "Reset": self.reset,
            "SendLocalList": self.send_local_list,
            "SetChargingProfile": self.set_charging_profile,
            "SignedUpdateFirmware": self.signed_update_firmware,
            "TriggerMessage": self.trigger_message,
            "UnlockConnector": self.unlock_connector,
            "UpdateFirmware": self.update_firmware,
        }

    @property
    def config(self) -> Any:
        assert self.station.configuration is not None
        return self.station.configuration

    # --- outbound ------------------------------------------------------------------------------
    def boot_payload(self, reason: str) -> dict[str, Any]:
        cfg = self.station.cfg
        payload: dict[str, Any] = {"chargePointVendor": cfg.vendor[:20], "chargePointModel": cfg.model[:20],
                                   "chargePointSerialNumber": cfg.serial[:25], "chargeBoxSerialNumber": cfg.serial[:25],
                                   "firmwareVersion": self.station.firmware_version[:50],
                                   "meterType": cfg.meter_type[:25],
                                   "meterSerialNumber": (cfg.meter_serial or f"M-{cfg.serial}")[:25]}
        if cfg.iccid:
            payload["iccid"] = cfg.iccid[:20]
        if cfg.imsi:
            payload["imsi"] = cfg.imsi[:20]
        return payload

    def status_payload(self, evse: Evse, connector: int, status: str) -> dict[str, Any]:
        payload = {"connectorId": evse.id, "errorCode": "NoError" if status != "Faulted" else (evse.fault or
                                                                                                "OtherError"),
                   "status": status, "timestamp": self.now()}
        return payload

    async def report_station_status(self, changed_only: bool) -> None:
        status = "Available" if self.station.operative else "Unavailable"
        await self.station.send("StatusNotification", {"connectorId": 0, "errorCode": "NoError", "status": status,
                                                       "timestamp": self.now()})

    def station_status_changed(self) -> None:
        st = self.station
        if st.online:
            st.post("StatusNotification", {"connectorId": 0, "errorCode": "NoError",
                                           "status": "Available" if st.operative else "Unavailable",
                                           "timestamp": self.now()})

    async def after_boot(self) -> None:
        st = self.station
        kind = "StartupOfTheDevice" if st.boot_reason in ("PowerUp", "FirmwareUpdate") else "ResetOrReboot"
        await st.security_event(kind, f"boot reason {st.boot_reason}")
        st.boot_reason = "PowerUp"

    async def authorize(self, token: Token) -> dict[str, Any] | None:
        response = await self.station.send("Authorize", {"idTag": token.value[:20]})
        return None if response is None else _tag_info(response["idTagInfo"])

    def sampled_value(self, s: Sample) -> dict[str, Any]:
        out: dict[str, Any] = {"value": f"{s.value:g}" if abs(s.value) < 1e15 else str(int(s.value)),
                               "context": s.context, "format": "Raw", "measurand": s.measurand, "unit": s.unit}
        if s.phase:
            out["phase"] = s.phase
        if s.location:
            out["location"] = s.location
        return out

    def meter_value(self, samples: list[Sample], at: datetime | None = None) -> dict[str, Any]:
        from chargeline.domain.clock import format_utc

        return {"timestamp": format_utc(at or self.station.clock.now()),
                "sampledValue": [self.sampled_value(s) for s in samples]}

    def tx_started(self, evse: Evse, tx: Transaction, trigger: str) -> None:
        payload: dict[str, Any] = {"connectorId": evse.id, "idTag": (tx.token or "")[:20],
                                   "meterStart": int(tx.meter_start_wh), "timestamp": self.now()}
        if tx.reservation_id is not None:
            payload["reservationId"] = tx.reservation_id
        self.station.queue.push("StartTransaction", payload, tx.local_id)
        profile = self.pending_profiles.pop(evse.id, None)
        if profile is not None:
            self.station.smart_charging.install_for_transaction(evse.id, profile, tx)
        ended = self.station.settings.items("ended_measurands")
        if ended:
            tx.end_samples.append([self.sampled_value(s) for s in
                                   evse.meter.samples(ended, "Transaction.Begin")])

    def tx_updated(self, evse: Evse, tx: Transaction, trigger: str) -> None:
        """1.6 has no transaction update message: a charging-state change is a StatusNotification."""

    def tx_ended(self, evse: Evse, tx: Transaction, reason: str, trigger: str, stopped_by: Any) -> None:
        payload: dict[str, Any] = {"meterStop": int(evse.meter.register_wh), "timestamp": self.now(),
                                   "transactionId": 0, "reason": REASONS.get(reason, "Other")}
        if stopped_by is not None:
            payload["idTag"] = stopped_by.value[:20]
        ended = self.station.settings.items("ended_measurands")
        data = [{"timestamp": self.now(), "sampledValue": values} for values in tx.end_samples]
        if ended:
            data.append(self.meter_value(evse.meter.samples(ended, "Transaction.End")))
        if data:
            payload["transactionData"] = data
        self.station.queue.push("StopTransaction", payload, tx.local_id)

    def periodic_sample(self, evse: Evse, tx: Transaction) -> None:
        samples = self.samples(evse, "sampled_measurands", "Sample.Periodic")
        if samples:
            self.station.queue.push("MeterValues", {"connectorId": evse.id, "transactionId": 0,
                                                    "meterValue": [self.meter_value(samples)]}, tx.local_id)
        ended = self.station.settings.items("ended_measurands")
        if ended and len(tx.end_samples) < 48:
            tx.end_samples.append([self.sampled_value(s) for s in evse.meter.samples(ended, "Sample.Periodic")])

    def aligned_sample(self, evse: Evse) -> None:
        samples = self.samples(evse, "aligned_measurands", "Sample.Clock")
        if not samples:
            return
        payload: dict[str, Any] = {"connectorId": evse.id, "meterValue": [self.meter_value(samples)]}
        if evse.tx is not None:
            payload["transactionId"] = 0
            self.station.queue.push("MeterValues", payload, evse.tx.local_id)
        else:
            self.station.post("MeterValues", payload)

    def resolve(self, item: QueuedMessage) -> dict[str, Any]:
        """Fill in the CSMS's transactionId, known only once StartTransaction was answered."""
        if item.tx_ref is None or item.action not in ("StopTransaction", "MeterValues"):
            return item.payload
        csms_id = self.station.csms_tx_id(item.tx_ref)
        if csms_id is None:  # the Start never got through: a stable negative local id the CSMS reconciles
            csms_id = -(uuid.UUID(item.tx_ref).int % 2_000_000_000 + 1)
        return {**item.payload, "transactionId": csms_id}

    def delivered(self, item: QueuedMessage, payload: dict[str, Any], response: dict[str, Any] | None) -> None:
        st = self.station
        if response is None or item.tx_ref is None:
            return
        if item.action == "StartTransaction":
            st.state.put("txids", item.tx_ref, int(response["transactionId"]))
            info = _tag_info(response["idTagInfo"])
            st.auth.remember(Token(payload["idTag"]), info)
            self._check_id(item.tx_ref, info)
        elif item.action == "StopTransaction":
            st.state.delete("txids", item.tx_ref)
            if "idTagInfo" in response and payload.get("idTag"):
                st.auth.remember(Token(payload["idTag"]), _tag_info(response["idTagInfo"]))

    def _check_id(self, local_id: str, info: dict[str, Any]) -> None:
        """StopTransactionOnInvalidId: a start the CSMS does not accept is ended (1.6 §5.? / 3.5)."""
        if info["status"] == "Accepted":
            return
        st = self.station
        for evse in st.evses:
            if evse.tx is not None and evse.tx.local_id == local_id:
                if st.settings.flag("stop_on_invalid", True):
                    st.transactions.stop(evse, "DeAuthorized", "Deauthorized")
                else:
                    evse.authorization = None  # keep the transaction, stop the energy
                    st.limits_changed()

    # --- requests from the central system -------------------------------------------------
    async def change_availability(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        connector, operative = call.payload["connectorId"], call.payload["type"] == "Operative"
        if connector == 0:
            busy = st.busy_evses()
            for evse in st.evses:
                if evse.tx is not None and evse.operative != operative:
                    evse.scheduled_operative = operative
                elif evse.tx is None:
                    st.set_evse_operative(evse, operative)
            if busy and st.operative != operative:
                self.station_scheduled = operative
                return {"status": "Scheduled"}
            st.set_station_operative(operative)
            return {"status": "Accepted"}
        if not st.has_evse(connector):
            return {"status": "Rejected"}
        evse = st.evse(connector)
        if evse.tx is not None and evse.operative != operative:
            evse.scheduled_operative = operative
            return {"status": "Scheduled"}
        st.set_evse_operative(evse, operative)
        return {"status": "Accepted"}

    def idle(self) -> None:
        if self.station_scheduled is not None:
            self.station.set_station_operative(self.station_scheduled)
            self.station_scheduled = None

    async def change_configuration(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        key, value = call.payload["key"], call.payload["value"]
        status = self.config.change(key, value)
        if status == "Accepted":
            if key in ("AuthorizationKey", "SecurityProfile"):
                st.after(call, lambda: self._reconnect_with_new_credentials(key))
            elif key == "HeartbeatInterval":
                st.heartbeat_interval = int(value)
        return {"status": status}

    async def _reconnect_with_new_credentials(self, key: str) -> None:
        st = self.station
        await st.security_event("ReconfigurationOfSecurityParameters", f"{key} changed")
        await asyncio.sleep(0.5)
        if st.ws is not None:
            await st.ws.close(1000, "reconnecting with new security parameters")

    async def get_configuration(self, call: InboundCall) -> dict[str, Any]:
        return self.config.get_configuration(call.payload.get("key"))

    async def clear_charging_profile(self, call: InboundCall) -> dict[str, Any]:
        return self.station.smart_charging.clear(call.payload)

    async def set_charging_profile(self, call: InboundCall) -> dict[str, Any]:
        return self.station.smart_charging.set_profile(call.payload)

    async def get_composite_schedule(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        return self.station.smart_charging.composite(p["connectorId"], p["duration"], p.get("chargingRateUnit"))

    async def remote_start(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        evse = self._pick_evse(p.get("connectorId"), p["idTag"])
        if evse is None:
            return {"status": "Rejected"}
        profile = None
        if p.get("chargingProfile") is not None:
            profile = st.smart_charging.accept_remote_start_profile(p["chargingProfile"])
            if profile is None:
                return {"status": "Rejected"}
        token = Token(p["idTag"], "Central")
        if profile is not None:
            self.pending_profiles[evse.id] = profile
        st.after(call, lambda: self._remote_start(evse, token))
        return {"status": "Accepted"}

    def _pick_evse(self, connector: int | None, id_tag: str) -> Evse | None:
        st = self.station
        if connector is not None:
            if connector == 0 or not st.has_evse(connector):
                return None
            candidates = [st.evse(connector)]
        else:
            candidates = sorted(st.evses, key=lambda e: (not e.plugged, e.id))
        token = Token(id_tag)
        for evse in candidates:
            reserved_ok = evse.reserved is None or evse.reserved.id_token.casefold() == token.key
            if evse.tx is None and evse.available and st.operative and reserved_ok:
                return evse
        return None

    async def _remote_start(self, evse: Evse, token: Token) -> None:
        st = self.station
        if st.settings.flag("authorize_remote"):
            result = await st.auth.authorize(token, st.online, lambda: self.authorize(token))
            if not result.accepted:
                self.pending_profiles.pop(evse.id, None)
                return
            token = Token(token.value, token.type, result.group)
        st.authorize_evse(evse, token)

    async def remote_stop(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        wanted = call.payload["transactionId"]
        found = [e for e in st.evses if e.tx is not None and st.csms_tx_id(e.tx.local_id) == wanted]
        if not found:
            return {"status": "Rejected"}
        st.after(call, lambda: _async(lambda: st.transactions.stop(found[0], "Remote", "RemoteStop")))
        return {"status": "Accepted"}

    async def reserve_now(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        status = self.reserve_status(p["connectorId"], p["idTag"], p["reservationId"])
        if status == "Accepted":
            st.add_reservation(Reservation(p["reservationId"], p["connectorId"], p["idTag"], p.get("parentIdTag"),
                                           parse_station_time(p["expiryDate"])))
        return {"status": status}

    async def reset(self, call: InboundCall) -> dict[str, Any]:
        hard = call.payload["type"] == "Hard"
        self.station.after(call, lambda: reset_station(self.station, "HardReset" if hard else "SoftReset",
                                                       "RemoteReset"))
        return {"status": "Accepted"}

    async def send_local_list(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        if not st.settings.flag("local_list_enabled", True):
            return {"status": "NotSupported"}
        entries = p.get("localAuthorizationList") or []
        if len(entries) > st.settings.integer("send_list_max", 250):
            return {"status": "Failed"}
        items = [(e["idTag"], _tag_info(e["idTagInfo"]) if e.get("idTagInfo") else None) for e in entries]
        status = st.auth.update_list(p["listVersion"], p["updateType"] == "Full", items,
                                     st.settings.integer("local_list_max", 1000))
        return {"status": status}

    async def get_local_list_version(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        return {"listVersion": st.auth.version if st.settings.flag("local_list_enabled", True) else -1}

    async def unlock_connector(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        connector = call.payload["connectorId"]
        if connector == 0 or not st.has_evse(connector):
            return {"status": "NotSupported"}
        evse = st.evse(connector)
        if evse.fault is not None:
            return {"status": "UnlockFailed"}
        if evse.tx is not None:
            st.transactions.stop(evse, "UnlockCommand", "UnlockCommand")
        evse.locked = False
        st.log.event(f"connector {connector} unlocked")
        return {"status": "Unlocked"}

    # triggers ------------------------------------------------------------------------------
    async def trigger_message(self, call: InboundCall) -> dict[str, Any]:
        return self._trigger(call, call.payload["requestedMessage"], call.payload.get("connectorId"), False)

    async def extended_trigger(self, call: InboundCall) -> dict[str, Any]:
        return self._trigger(call, call.payload["requestedMessage"], call.payload.get("connectorId"), True)

    def _trigger(self, call: InboundCall, what: str, connector: int | None, extended: bool) -> dict[str, Any]:
        st = self.station
        if connector is not None and connector != 0 and not st.has_evse(connector):
            return {"status": "Rejected"}
        evses = [st.evse(connector)] if connector else st.evses
        if what == "BootNotification":
            st.after(call, lambda: st.send("BootNotification", self.boot_payload("Triggered")))
        elif what == "Heartbeat":
            st.after(call, lambda: st.send("Heartbeat", {}))
        elif what == "StatusNotification":
            st.after(call, lambda: self._send_statuses(evses, connector is None or connector == 0))
        elif what == "MeterValues":
            st.after(call, lambda: self._send_meter_values(evses))
        elif what == "DiagnosticsStatusNotification" and not extended:
            status = st.uploads.status if st.uploads.status in ("Uploading",) else "Idle"
            st.after(call, lambda: st.send("DiagnosticsStatusNotification", {"status": status}))
        elif what == "FirmwareStatusNotification":
            fw = st.firmware
            action = fw.action if extended else "FirmwareStatusNotification"
            status = fw.status if fw.status in FIRMWARE_16 or action != "FirmwareStatusNotification" else "Idle"
            payload: dict[str, Any] = {"status": status}
            if action == "SignedFirmwareStatusNotification" and fw.request_id is not None:
                payload["requestId"] = fw.request_id
            st.after(call, lambda: st.send(action, payload))
        elif what == "LogStatusNotification" and extended:
            status = "Uploading" if st.uploads.busy else "Idle"
            payload = {"status": status}
            if st.uploads.request_id is not None:
                payload["requestId"] = st.uploads.request_id
            st.after(call, lambda: st.send("LogStatusNotification", payload))
        elif what == "SignChargePointCertificate" and extended:
            st.after(call, lambda: _async(lambda: self.start_certificate_request(None)))
        else:
            return {"status": "NotImplemented"}
        return {"status": "Accepted"}

    async def _send_statuses(self, evses: list[Evse], with_station: bool) -> None:
        st = self.station
        if with_station:
            await self.report_station_status(False)
        for evse in evses:
            status = st.statuses(evse)[1]
            evse.reported[1] = status
            await st.send("StatusNotification", self.status_payload(evse, 1, status))

    async def _send_meter_values(self, evses: list[Evse]) -> None:
        st = self.station
        for evse in evses:
            samples = self.samples(evse, "sampled_measurands", "Trigger")
            payload: dict[str, Any] = {"connectorId": evse.id, "meterValue": [self.meter_value(samples)]}
            if evse.tx is not None and st.csms_tx_id(evse.tx.local_id) is not None:
                payload["transactionId"] = st.csms_tx_id(evse.tx.local_id)
            await st.send("MeterValues", payload)

    # firmware, diagnostics, logs -------------------------------------------------------------
    async def update_firmware(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        self.station.firmware.start(p["location"], p["retrieveDate"], None, p.get("retries", 1),
                                    p.get("retryInterval", 30), None, None, None, "FirmwareStatusNotification")
        return {}

    async def signed_update_firmware(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        fw = p["firmware"]
        problem = st.firmware.check_signing_certificate(fw["signingCertificate"])
        if problem is not None:
            st.spawn(st.security_event("InvalidFirmwareSigningCertificate", "signing certificate not trusted"))
            return {"status": problem}
        canceled = st.firmware.start(fw["location"], fw["retrieveDateTime"], fw.get("installDateTime"),
                                     p.get("retries", 1), p.get("retryInterval", 30), p["requestId"],
                                     fw["signingCertificate"], fw["signature"], "SignedFirmwareStatusNotification")
        return {"status": "AcceptedCanceled" if canceled else "Accepted"}

    async def get_diagnostics(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        name = self.station.uploads.start(p["location"], {"event", "frame", "security"}, p.get("startTime"),
                                          p.get("stopTime"), p.get("retries", 1), p.get("retryInterval", 30), None,
                                          diagnostics=True)
        return {"fileName": name}

    # certificates ------------------------------------------------------------------------------
    async def install_certificate(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        status = st.certs.install(call.payload["certificateType"], call.payload["certificate"], st.clock.now())
        return {"status": status}

    async def delete_certificate(self, call: InboundCall) -> dict[str, Any]:
        return {"status": self.station.certs.delete(call.payload["certificateHashData"])}

    async def get_installed_certificate_ids(self, call: InboundCall) -> dict[str, Any]:
        found = self.station.certs.ids([call.payload["certificateType"]])
        if not found:
            return {"status": "NotFound"}
        return {"status": "Accepted", "certificateHashData": [data for _, data in found]}

    async def certificate_signed_16(self, call: InboundCall) -> dict[str, Any]:
        return self.certificate_signed(call.payload["certificateChain"], "InvalidChargePointCertificate")


async def reset_station(station: Station, stop_reason: str, boot_reason: str) -> None:
    """End every transaction, give the queue a moment to deliver, then restart."""
    for evse in station.evses:
        station.transactions.stop(evse, stop_reason, "ResetCommand")
    for _ in range(50):
        if not len(station.queue) or not station.online:
            break
        await asyncio.sleep(0.1)
    station.request_reboot(boot_reason)


async def _async(fn: Any) -> None:
    fn()

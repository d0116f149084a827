"""OCPP 2.0.1 and 2.1: the messages a station sends and its answers to the CSMS.

Functional blocks A-O of 2.0.1 as a basic AC/DC charger implements them (no ISO 15118, no
local controller). 2.1's additions that need hardware or tariffs this charger does not have
(V2X, DER, batteries, tariffs, periodic event streams) are answered with the status the
2.1 schemas define for "not supported / not found", never with an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chargeline.domain.clock import format_utc, parse_station_time
from chargeline.ocpp.errors import ErrorKind, OcppError
from chargeline.ocpp.rpc import InboundCall
from chargeline.ocpp.versions import OcppVersion
from chargeline.station.adapter import Adapter, Handler
from chargeline.station.authorization import Token
from chargeline.station.certificates import ROOT_TYPES_V2
from chargeline.station.connectors import Evse, Reservation
from chargeline.station.display import DisplayMessages
from chargeline.station.handlers_v16 import reset_station
from chargeline.station.meter import Sample
from chargeline.station.monitoring import Monitors
from chargeline.station.store import QueuedMessage

if TYPE_CHECKING:
    from chargeline.station.runtime import Station
    from chargeline.station.transactions import Transaction

REASONS = {"Local": "Local", "Remote": "Remote", "EVDisconnected": "EVDisconnected", "DeAuthorized": "DeAuthorized",
           "PowerLoss": "PowerLoss", "Reboot": "Reboot", "HardReset": "ImmediateReset",
           "SoftReset": "ImmediateReset", "ImmediateReset": "ImmediateReset", "EmergencyStop": "EmergencyStop",
           "GroundFault": "GroundFault", "StoppedByEV": "StoppedByEV", "Timeout": "Timeout",
           "EnergyLimitReached": "EnergyLimitReached"}
STATION_VARIABLES = ("BasicAuthPassword", "SecurityProfile")


def _token_info(info: dict[str, Any]) -> dict[str, Any]:
    """2.x IdTokenInfo -> neutral {status, expiry, group}."""
    group = info.get("groupIdToken") or {}
    return {"status": info.get("status", "Invalid"), "expiry": info.get("cacheExpiryDateTime"),
            "group": group.get("idToken")}


def _paged(items: list[Any], size: int) -> list[list[Any]]:
    size = max(1, size)
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


class V2Adapter(Adapter):
    def __init__(self, station: Station):
        super().__init__(station)
        assert station.device_model is not None
        self.model = station.device_model
        self.monitors = Monitors(station, self.model)
        self.display = DisplayMessages(station)
        self.v21 = station.version is OcppVersion.V21
        self.scheduled_reset: bool = False
        self.station_scheduled: bool | None = None
        self.model.dynamic[("ClockCtrlr", None, None, None, "DateTime", None)] = self.now
        self.handlers: dict[str, Handler] = {
            "CancelReservation": self.cancel_reservation,
            "CertificateSigned": self.certificate_signed_v2,
            "ChangeAvailability": self.change_availability,
            "ClearCache": self.clear_cache,
            "ClearChargingProfile": self.clear_charging_profile,
            "ClearDisplayMessage": self.clear_display_message,
            "ClearVariableMonitoring": self.clear_variable_monitoring,
            "CostUpdated": self.cost_updated,
            "CustomerInformation": self.customer_information,
            "DataTransfer": self.data_transfer,
            "DeleteCertificate": self.delete_certificate,
            "GetBaseReport": self.get_base_report,
            "GetChargingProfiles": self.get_charging_profiles,
            "GetCompositeSchedule": self.get_composite_schedule,
            "GetDisplayMessages": self.get_display_messages,
            "GetInstalledCertificateIds": self.get_installed_certificate_ids,
            "GetLocalListVersion": self.get_local_list_version,
            "GetLog": self.get_log,
            "GetMonitoringReport": self.get_monitoring_report,
            "GetReport": self.get_report,
            "GetTransactionStatus": self.get_transaction_status,
            "GetVariables": self.get_variables,
            "InstallCertificate": self.install_certificate,
            "RequestStartTransaction": self.request_start,
            "RequestStopTransaction": self.request_stop,
            "ReserveNow": self.reserve_now,
            "Reset": self.reset,
            "SendLocalList": self.send_local_list,
            "SetChargingProfile": self.set_charging_profile,
            "SetDisplayMessage": self.set_display_message,
            "SetMonitoringBase": self.set_monitoring_base,
            "SetMonitoringLevel": self.set_monitoring_level,
            "SetNetworkProfile": self.set_network_profile,
            "SetVariableMonitoring": self.set_variable_monitoring,
            "SetVariables": self.set_variables,
            "TriggerMessage": self.trigger_message,
            "UnlockConnector": self.unlock_connector,
            "UpdateFirmware": self.update_firmware,
        }
        if self.v21:
            self.handlers.update({
                "AFRRSignal": self._status("Rejected", "NoV2X"),
                "AdjustPeriodicEventStream": self._status("Rejected", "NoStreams"),
                "ChangeTransactionTariff": self.change_transaction_tariff,
                "ClearDERControl": self._status("NotSupported"),
                "ClearTariffs": self.clear_tariffs,
                "GetDERControl": self._status("NotSupported"),
                "GetPeriodicEventStream": self.get_periodic_event_stream,
                "GetTariffs": self._status("NoTariff"),
                "NotifyAllowedEnergyTransfer": self.notify_allowed_energy_transfer,
                "RequestBatterySwap": self._status("Rejected", "NoBatterySwap"),
                "SetDERControl": self._status("NotSupported"),
                "SetDefaultTariff": self._status("Rejected", "NoTariffs"),
                "UpdateDynamicSchedule": self._status("Rejected", "NoDynamicProfile"),
                "UsePriorityCharging": self.use_priority_charging,
            })

    # --- outbound ------------------------------------------------------------------------------
    def boot_payload(self, reason: str) -> dict[str, Any]:
        cfg = self.station.cfg
        cs: dict[str, Any] = {"model": cfg.model[:20], "vendorName": cfg.vendor[:50], "serialNumber": cfg.serial[:25],
                              "firmwareVersion": self.station.firmware_version[:50]}
        if cfg.iccid or cfg.imsi:
            cs["modem"] = {k: v[:20] for k, v in (("iccid", cfg.iccid), ("imsi", cfg.imsi)) if v}
        return {"reason": reason, "chargingStation": cs}

    def status_payload(self, evse: Evse, connector: int, status: str) -> dict[str, Any]:
        return {"timestamp": self.now(), "connectorStatus": status, "evseId": evse.id, "connectorId": connector}

    async def report_station_status(self, changed_only: bool) -> None:
        self.model.set_actual(("ChargingStation", None, None, None, "AvailabilityState", None),
                              "Available" if self.station.operative else "Unavailable")

    async def after_boot(self) -> None:
        st = self.station
        kind = "StartupOfTheDevice" if st.boot_reason in ("PowerUp", "FirmwareUpdate") else "ResetOrReboot"
        await st.security_event(kind, f"boot reason {st.boot_reason}")
        st.boot_reason = "PowerUp"

    async def authorize(self, token: Token) -> dict[str, Any] | None:
        response = await self.station.send("Authorize", {"idToken": self._id_token(token)})
        return None if response is None else _token_info(response["idTokenInfo"])

    @staticmethod
    def _id_token(token: Token) -> dict[str, Any]:
        return {"idToken": token.value[:36 if token.type != "eMAID" else 255], "type": token.type}

    def sampled_value(self, s: Sample) -> dict[str, Any]:
        out: dict[str, Any] = {"value": s.value, "context": s.context, "measurand": s.measurand,
                               "unitOfMeasure": {"unit": s.unit}}
        if s.phase:
            out["phase"] = s.phase
        if s.location:
            out["location"] = s.location
        return out

    def meter_value(self, samples: list[Sample], at: datetime | None = None) -> dict[str, Any]:
        return {"timestamp": format_utc(at or self.station.clock.now()),
                "sampledValue": [self.sampled_value(s) for s in samples]}

    def _event(self, event_type: str, evse: Evse, tx: Transaction, trigger: str,
               samples: list[Sample] | None = None, **extra: Any) -> dict[str, Any]:
        info: dict[str, Any] = {"transactionId": tx.local_id}
        if tx.charging_state:
            info["chargingState"] = tx.charging_state
        if tx.charging_seconds:
            info["timeSpentCharging"] = int(tx.charging_seconds)
        payload: dict[str, Any] = {"eventType": event_type, "timestamp": self.now(), "triggerReason": trigger,
                                   "seqNo": tx.next_seq(), "transactionInfo": info,
                                   "evse": {"id": evse.id, "connectorId": tx.connector_id}}
        if not self.station.online:
            payload["offline"] = True
        if samples:
            payload["meterValue"] = [self.meter_value(samples)]
        for key, value in extra.items():
            if key in ("stoppedReason", "remoteStartId"):
                info[key] = value
            elif value is not None:
                payload[key] = value
        return payload

    def _push(self, payload: dict[str, Any], tx: Transaction) -> None:
        self.station.queue.push("TransactionEvent", payload, tx.local_id)
        self.station.save_tx(tx)

    def tx_started(self, evse: Evse, tx: Transaction, trigger: str) -> None:
        extra: dict[str, Any] = {}
        if tx.token is not None:
            extra["idToken"] = self._id_token(Token(tx.token, tx.token_type or "ISO14443"))
        if tx.remote_start_id is not None:
            extra["remoteStartId"] = tx.remote_start_id
        if tx.reservation_id is not None:
            extra["reservationId"] = tx.reservation_id
        if not evse.meter.dc and evse.plugged:
            extra["numberOfPhasesUsed"] = evse.ev.phases if evse.ev else evse.meter.phases
        samples = evse.meter.samples(self.station.settings.items("started_measurands"), "Transaction.Begin")
        self._push(self._event("Started", evse, tx, trigger, samples, **extra), tx)
        profile = self.pending_profiles.pop(evse.id, None)
        if profile is not None:
            self.station.smart_charging.install_for_transaction(evse.id, profile, tx)

    def tx_updated(self, evse: Evse, tx: Transaction, trigger: str) -> None:
        extra: dict[str, Any] = {}
        if trigger == "Authorized" and tx.token is not None:
            extra["idToken"] = self._id_token(Token(tx.token, tx.token_type or "ISO14443"))
            if evse.remote_start_id is not None:
                extra["remoteStartId"] = evse.remote_start_id
                trigger = "RemoteStart"
        self._push(self._event("Updated", evse, tx, trigger, **extra), tx)

    def tx_ended(self, evse: Evse, tx: Transaction, reason: str, trigger: str, stopped_by: Any) -> None:
        extra: dict[str, Any] = {"stoppedReason": REASONS.get(reason, "Other")}
        if stopped_by is not None:
            extra["idToken"] = self._id_token(stopped_by)
        samples = evse.meter.samples(self.station.settings.items("ended_measurands"), "Transaction.End")
        payload = self._event("Ended", evse, tx, trigger, samples, **extra)
        if tx.end_samples:
            payload.setdefault("meterValue", [])[:0] = [
                {"timestamp": self.now(), "sampledValue": values} for values in tx.end_samples]
        self.station.queue.push("TransactionEvent", payload, tx.local_id)

    def periodic_sample(self, evse: Evse, tx: Transaction) -> None:
        samples = self.samples(evse, "sampled_measurands", "Sample.Periodic")
        if samples:
            self._push(self._event("Updated", evse, tx, "MeterValuePeriodic", samples), tx)

    def aligned_sample(self, evse: Evse) -> None:
        st = self.station
        samples = self.samples(evse, "aligned_measurands", "Sample.Clock")
        if not samples:
            return
        if evse.tx is not None:
            self._push(self._event("Updated", evse, evse.tx, "MeterValueClock", samples), evse.tx)
        elif self.model.value(("AlignedDataCtrlr", None, None, None, "SendDuringIdle", None)) == "true":
            st.post("MeterValues", {"evseId": evse.id, "meterValue": [self.meter_value(samples)]})

    def limit_changed(self, evse: Evse, tx: Transaction) -> None:
        """K11: report a changed charging limit while the transaction runs."""
        self._push(self._event("Updated", evse, tx, "ChargingRateChanged"), tx)

    def plugged(self, evse: Evse) -> None:
        if evse.ev is not None and not self.station.cfg.dc:
            self.model.set_actual(("EVSE", None, evse.id, None, "CurrentImport", None), "0")

    def tick(self, now: datetime) -> None:
        self.monitors.tick(now)
        for evse in self.station.evses:
            self.model.set_actual(("EVSE", None, evse.id, None, "Power", None), f"{evse.meter.power_w:.0f}")

    def delivered(self, item: QueuedMessage, payload: dict[str, Any], response: dict[str, Any] | None) -> None:
        st = self.station
        if response is None or item.action != "TransactionEvent":
            return
        info = response.get("idTokenInfo")
        token = payload.get("idToken")
        if info is None or token is None:
            return
        neutral = _token_info(info)
        st.auth.remember(Token(token["idToken"], token["type"]), neutral)
        if neutral["status"] == "Accepted" or payload["eventType"] == "Ended":
            return
        for evse in st.evses:
            if evse.tx is not None and evse.tx.local_id == item.tx_ref:
                if st.settings.flag("stop_on_invalid", True):
                    st.transactions.stop(evse, "DeAuthorized", "Deauthorized")
                else:
                    evse.authorization = None
                    st.transactions.evaluate(evse, "Deauthorized")

    def reservation_ended(self, reservation: Reservation, status: str) -> None:
        self.station.post("ReservationStatusUpdate", {"reservationId": reservation.id,
                                                      "reservationUpdateStatus": status})

    def idle(self) -> None:
        st = self.station
        if self.station_scheduled is not None:
            st.set_station_operative(self.station_scheduled)
            self.station_scheduled = None
        if self.scheduled_reset:
            self.scheduled_reset = False
            st.spawn(reset_station(st, "ImmediateReset", "ScheduledReset"))

    # --- helpers for the answers ---------------------------------------------------------------
    def _status(self, status: str, reason: str | None = None) -> Handler:
        async def handler(call: InboundCall) -> dict[str, Any]:
            out: dict[str, Any] = {"status": status}
            if reason:
                out["statusInfo"] = {"reasonCode": reason}
            return out
        return handler

    def _limit(self, instance: str, items: list[Any]) -> None:
        per_message = self.model.value(("DeviceDataCtrlr", None, None, None, "ItemsPerMessage", instance))
        if per_message and len(items) > int(per_message):
            raise OcppError(ErrorKind.OCCURRENCE_CONSTRAINT, f"more than {per_message} items in one {instance}")

    def _find_tx(self, transaction_id: str) -> Evse | None:
        for evse in self.station.evses:
            if evse.tx is not None and evse.tx.local_id == transaction_id:
                return evse
        return None

    def _send_pages(self, call: InboundCall, action: str, items: list[Any], size: int,
                    build: Callable[[list[Any], int, bool], dict[str, Any]]) -> None:
        st = self.station

        async def send_all() -> None:
            pages = _paged(items, size)
            for n, page in enumerate(pages):
                await st.send(action, build(page, n, n < len(pages) - 1))

        st.after(call, send_all)

    # --- provisioning and device model (B) -------------------------------------------------------
    async def get_variables(self, call: InboundCall) -> dict[str, Any]:
        data = call.payload["getVariableData"]
        self._limit("GetVariables", data)
        return {"getVariableResult": self.model.get_variables(data)}

    async def set_variables(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        data = call.payload["setVariableData"]
        self._limit("SetVariables", data)
        results = self.model.set_variables(data)
        security = False
        for item, result in zip(data, results, strict=True):
            if result["attributeStatus"] != "Accepted":
                continue
            name = item["variable"]["name"]
            if item["component"]["name"] == "SecurityCtrlr" and name in STATION_VARIABLES:
                security = True
            if name == "HeartbeatInterval":
                st.heartbeat_interval = int(item["attributeValue"])
        if security:
            st.after(call, self._reconnect_with_new_credentials)
        return {"setVariableResult": results}

    async def _reconnect_with_new_credentials(self) -> None:
        st = self.station
        await st.security_event("ReconfigurationOfSecurityParameters", "BasicAuthPassword changed")
        await asyncio.sleep(0.5)
        if st.ws is not None:
            await st.ws.close(1000, "reconnecting with new security parameters")

    async def get_base_report(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        entries = self.model.report(p["reportBase"])
        if not entries:
            return {"status": "EmptyResultSet"}
        self._report(call, p["requestId"], entries)
        return {"status": "Accepted"}

    async def get_report(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        entries = self.model.report(None, p.get("componentVariable"), p.get("componentCriteria"))
        if not entries:
            return {"status": "EmptyResultSet"}
        self._report(call, p["requestId"], entries)
        return {"status": "Accepted"}

    def _report(self, call: InboundCall, request_id: int, entries: list[dict[str, Any]]) -> None:
        size = int(self.model.value(("DeviceDataCtrlr", None, None, None, "ItemsPerMessage", "GetReport")) or 20)
        generated = self.now()
        self._send_pages(call, "NotifyReport", entries, size, lambda page, n, tbc: {
            "requestId": request_id, "generatedAt": generated, "seqNo": n, "tbc": tbc, "reportData": page})

    async def set_network_profile(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        slot = p["configurationSlot"]
        allowed = (self.model.index[("OCPPCommCtrlr", None, None, None, "NetworkConfigurationPriority", None)]
                   .values_list or "0").split(",")
        if str(slot) not in allowed:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidSlot"}}
        if p["connectionData"]["securityProfile"] < self.station.settings.integer("security_profile"):
            return {"status": "Rejected", "statusInfo": {"reasonCode": "NoSecurityDowngrade"}}
        self.station.state.put("network_profiles", str(slot), p["connectionData"])
        return {"status": "Accepted"}

    async def reset(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        if p.get("evseId") is not None:
            if not st.has_evse(p["evseId"]):
                return {"status": "Rejected"}
            evse = st.evse(p["evseId"])
            if p["type"] == "OnIdle" and evse.tx is not None:
                evse.scheduled_operative = evse.operative
                return {"status": "Scheduled"}
            st.after(call, lambda: _run(lambda: self._reset_evse(evse)))
            return {"status": "Accepted"}
        if p["type"] == "OnIdle" and st.busy_evses():
            self.scheduled_reset = True
            return {"status": "Scheduled"}
        st.after(call, lambda: reset_station(st, "ImmediateReset", "RemoteReset"))
        return {"status": "Accepted"}

    def _reset_evse(self, evse: Evse) -> None:
        st = self.station
        st.transactions.stop(evse, "ImmediateReset", "ResetCommand")
        evse.reported.clear()
        st.refresh_status(evse)

    # --- authorization (C, D) -------------------------------------------------------------------
    async def clear_cache(self, call: InboundCall) -> dict[str, Any]:
        return {"status": "Accepted" if self.station.auth.clear_cache() else "Rejected"}

    async def send_local_list(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        entries = p.get("localAuthorizationList") or []
        if not st.settings.flag("local_list_enabled", True) or len(entries) > st.settings.integer("send_list_max",
                                                                                                   250):
            return {"status": "Failed"}
        items = [(e["idToken"]["idToken"], _token_info(e["idTokenInfo"]) if e.get("idTokenInfo") else None)
                 for e in entries]
        status = st.auth.update_list(p["versionNumber"], p["updateType"] == "Full", items, 1000)
        if status == "Accepted":
            self.model.set_actual(("LocalAuthListCtrlr", None, None, None, "Entries", None), str(len(st.auth.local)))
        return {"status": status}

    async def get_local_list_version(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        return {"versionNumber": st.auth.version if st.settings.flag("local_list_enabled", True) else 0}

    # --- availability, reservations, transactions (E-H) -------------------------------------------
    async def change_availability(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        operative = p["operationalStatus"] == "Operative"
        target = p.get("evse")
        if target is None or target.get("id", 0) == 0:
            busy = False
            for evse in st.evses:
                if evse.tx is not None:
                    busy = True
            if busy and st.operative != operative:
                self.station_scheduled = operative
                return {"status": "Scheduled"}
            st.set_station_operative(operative)
            return {"status": "Accepted"}
        if not st.has_evse(target["id"]):
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}
        evse = st.evse(target["id"])
        connector = target.get("connectorId")
        if connector is not None and not 1 <= connector <= evse.connectors:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownConnector"}}
        if evse.tx is not None and evse.operative != operative:
            evse.scheduled_operative = operative
            return {"status": "Scheduled"}
        st.set_evse_operative(evse, operative)
        return {"status": "Accepted"}

    async def reserve_now(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        if not st.settings.flag("reservation_enabled", True):
            return {"status": "Rejected"}
        evse_id = p.get("evseId") or 0
        if p.get("connectorType") and p["connectorType"] != st.cfg.connector_type:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownConnectorType"}}
        status = self.reserve_status(evse_id, p["idToken"]["idToken"], p["id"])
        if status == "Accepted":
            group = (p.get("groupIdToken") or {}).get("idToken")
            st.add_reservation(Reservation(p["id"], evse_id, p["idToken"]["idToken"], group,
                                           parse_station_time(p["expiryDateTime"]), p.get("connectorType")))
        return {"status": status}

    async def request_start(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        evse_id = p.get("evseId")
        candidates = [st.evse(evse_id)] if evse_id and st.has_evse(evse_id) else (
            [] if evse_id else sorted(st.evses, key=lambda e: (not e.plugged, e.id)))
        token = Token(p["idToken"]["idToken"], p["idToken"]["type"],
                      (p.get("groupIdToken") or {}).get("idToken"))
        chosen = None
        for evse in candidates:
            reserved_ok = evse.reserved is None or evse.reserved.id_token.casefold() == token.key
            busy = evse.tx is not None and evse.authorization is not None
            if not busy and evse.available and st.operative and reserved_ok:
                chosen = evse
                break
        if chosen is None:
            return {"status": "Rejected"}
        if p.get("chargingProfile") is not None:
            profile = st.smart_charging.accept_remote_start_profile(p["chargingProfile"])
            if profile is None:
                return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidProfile"}}
            self.pending_profiles[chosen.id] = profile
        out: dict[str, Any] = {"status": "Accepted"}
        if chosen.tx is not None:
            out["transactionId"] = chosen.tx.local_id
        evse_ref = chosen
        st.after(call, lambda: self._remote_start(evse_ref, token, p["remoteStartId"]))
        return out

    async def _remote_start(self, evse: Evse, token: Token, remote_start_id: int) -> None:
        st = self.station
        if st.settings.flag("authorize_remote"):
            result = await st.auth.authorize(token, st.online, lambda: self.authorize(token))
            if not result.accepted:
                self.pending_profiles.pop(evse.id, None)
                return
            token = Token(token.value, token.type, result.group or token.group)
        if evse.tx is not None and evse.tx.remote_start_id is None:
            evse.tx.remote_start_id = remote_start_id
        st.authorize_evse(evse, token, remote_start_id)

    async def request_stop(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        evse = self._find_tx(call.payload["transactionId"])
        if evse is None:
            return {"status": "Rejected"}
        st.after(call, lambda: _run(lambda: st.transactions.stop(evse, "Remote", "RemoteStop")))
        return {"status": "Accepted"}

    async def get_transaction_status(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        tx_id = call.payload.get("transactionId")
        if tx_id is None:
            return {"messagesInQueue": len(st.queue) > 0}
        return {"messagesInQueue": st.queue.pending(tx_id) > 0, "ongoingIndicator": self._find_tx(tx_id) is not None}

    async def unlock_connector(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        if not st.has_evse(p["evseId"]) or not 1 <= p["connectorId"] <= st.evse(p["evseId"]).connectors:
            return {"status": "UnknownConnector"}
        evse = st.evse(p["evseId"])
        if evse.tx is not None and evse.authorization is not None:
            return {"status": "OngoingAuthorizedTransaction"}
        if evse.fault is not None:
            return {"status": "UnlockFailed"}
        if evse.tx is not None:
            st.transactions.stop(evse, "Other", "UnlockCommand")
        evse.locked = False
        return {"status": "Unlocked"}

    async def cost_updated(self, call: InboundCall) -> dict[str, Any]:
        self.station.log.event(f"cost of {call.payload['transactionId']}: {call.payload['totalCost']}")
        return {}

    # --- triggers (F) -----------------------------------------------------------------------------
    async def trigger_message(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        what = call.payload["requestedMessage"]
        target = call.payload.get("evse")
        if target is not None and not st.has_evse(target["id"]):
            return {"status": "Rejected"}
        evses = [st.evse(target["id"])] if target else st.evses
        if what == "BootNotification":
            if st.registration == "Accepted":
                return {"status": "Rejected"}  # F06.FR.17
            st.after(call, lambda: st.send("BootNotification", self.boot_payload("Triggered")))
        elif what == "Heartbeat":
            st.after(call, lambda: st.send("Heartbeat", {}))
        elif what == "StatusNotification":
            connector = target.get("connectorId") if target else None
            st.after(call, lambda: self._send_statuses(evses, connector))
        elif what == "MeterValues":
            st.after(call, lambda: self._send_meter_values(evses))
        elif what == "TransactionEvent":
            st.after(call, lambda: _run(lambda: self._trigger_tx(evses)))
        elif what == "FirmwareStatusNotification":
            fw = st.firmware
            payload: dict[str, Any] = {"status": fw.status}
            if fw.status != "Idle" and fw.request_id is not None:
                payload["requestId"] = fw.request_id
            st.after(call, lambda: st.send("FirmwareStatusNotification", payload))
        elif what == "LogStatusNotification":
            log_payload: dict[str, Any] = {"status": "Uploading" if st.uploads.busy else "Idle"}
            if st.uploads.busy and st.uploads.request_id is not None:
                log_payload["requestId"] = st.uploads.request_id
            st.after(call, lambda: st.send("LogStatusNotification", log_payload))
        elif what == "SignChargingStationCertificate":
            st.after(call, lambda: _run(lambda: self.start_certificate_request("ChargingStationCertificate")))
        else:
            return {"status": "NotImplemented"}
        return {"status": "Accepted"}

    async def _send_statuses(self, evses: list[Evse], connector: int | None) -> None:
        st = self.station
        for evse in evses:
            for number, status in st.statuses(evse).items():
                if connector is not None and number != connector:
                    continue
                evse.reported[number] = status
                await st.send("StatusNotification", self.status_payload(evse, number, status))

    async def _send_meter_values(self, evses: list[Evse]) -> None:
        st = self.station
        for evse in evses:
            samples = self.samples(evse, "aligned_measurands", "Trigger")
            if samples:
                await st.send("MeterValues", {"evseId": evse.id, "meterValue": [self.meter_value(samples)]})

    def _trigger_tx(self, evses: list[Evse]) -> None:
        for evse in evses:
            if evse.tx is not None:
                samples = self.samples(evse, "sampled_measurands", "Trigger")
                self._push(self._event("Updated", evse, evse.tx, "Trigger", samples), evse.tx)

    # --- firmware and logs (L, N) -------------------------------------------------------------------
    async def update_firmware(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        fw = p["firmware"]
        problem = st.firmware.check_signing_certificate(fw.get("signingCertificate"))
        if problem is not None:
            st.spawn(st.security_event("InvalidFirmwareSigningCertificate", "signing certificate not trusted"))
            return {"status": problem}
        canceled = st.firmware.start(fw["location"], fw["retrieveDateTime"], fw.get("installDateTime"),
                                     p.get("retries", 1), p.get("retryInterval", 30), p["requestId"],
                                     fw.get("signingCertificate"), fw.get("signature"), "FirmwareStatusNotification")
        return {"status": "AcceptedCanceled" if canceled else "Accepted"}

    # --- monitoring (N) ------------------------------------------------------------------------------
    async def set_variable_monitoring(self, call: InboundCall) -> dict[str, Any]:
        return {"setMonitoringResult": self.monitors.set(call.payload["setMonitoringData"])}

    async def clear_variable_monitoring(self, call: InboundCall) -> dict[str, Any]:
        return {"clearMonitoringResult": self.monitors.clear(call.payload["id"])}

    async def set_monitoring_base(self, call: InboundCall) -> dict[str, Any]:
        return {"status": self.monitors.set_base(call.payload["monitoringBase"])}

    async def set_monitoring_level(self, call: InboundCall) -> dict[str, Any]:
        return {"status": self.monitors.set_level(call.payload["severity"])}

    async def get_monitoring_report(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        monitors = self.monitors.report(p.get("monitoringCriteria"), p.get("componentVariable"))
        if not monitors:
            return {"status": "EmptyResultSet"}
        generated = self.now()
        self._send_pages(call, "NotifyMonitoringReport", monitors, 20, lambda page, n, tbc: {
            "requestId": p["requestId"], "generatedAt": generated, "seqNo": n, "tbc": tbc, "monitor": page})
        return {"status": "Accepted"}

    async def customer_information(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        p = call.payload
        token = p.get("idToken")
        if token is None and p.get("customerIdentifier") is None and p.get("customerCertificate") is None:
            return {"status": "Invalid"}
        lines = []
        if token is not None:
            key = token["idToken"].casefold()
            if key in st.auth.local:
                lines.append(f"local list: {st.auth.local[key]['status']}")
            if key in st.auth.cache:
                lines.append(f"cache: {st.auth.cache[key]['status']}")
                if p["clear"]:
                    st.auth.cache.pop(key, None)
                    st.state.delete("auth_cache", key)
                    lines.append("cache entry cleared")
        data = "; ".join(lines) or "no data stored for this customer"
        if p["report"] or p["clear"]:
            st.after(call, lambda: st.send("NotifyCustomerInformation", {
                "data": data[:512], "seqNo": 0, "generatedAt": self.now(), "requestId": p["requestId"],
                "tbc": False}))
        return {"status": "Accepted"}

    # --- smart charging (K) ----------------------------------------------------------------------------
    async def set_charging_profile(self, call: InboundCall) -> dict[str, Any]:
        if not self.station.settings.flag("smart_charging_enabled", True):
            raise OcppError(ErrorKind.NOT_SUPPORTED, "smart charging is disabled")  # K01.FR.29
        return self.station.smart_charging.set_profile(call.payload)

    async def clear_charging_profile(self, call: InboundCall) -> dict[str, Any]:
        c = call.payload.get("chargingProfileCriteria") or {}
        if c.get("chargingProfilePurpose") in ("ChargingStationExternalConstraints", "LocalGeneration"):
            return {"status": "Unknown", "statusInfo": {"reasonCode": "InvalidValue"}}
        return self.station.smart_charging.clear(call.payload)

    async def get_composite_schedule(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        return self.station.smart_charging.composite(p["evseId"], p["duration"], p.get("chargingRateUnit"))

    async def get_charging_profiles(self, call: InboundCall) -> dict[str, Any]:
        sc = self.station.smart_charging
        found = sc.matching(call.payload)
        if not found:
            return {"status": "NoProfiles"}
        by_evse: dict[int, list[dict[str, Any]]] = {}
        for item in found:
            by_evse.setdefault(item.evse_id, []).append(sc.as_ocpp(item))
        groups = list(by_evse.items())
        request_id = call.payload["requestId"]
        self._send_pages(call, "ReportChargingProfiles", groups, 1, lambda page, n, tbc: {
            "requestId": request_id, "chargingLimitSource": "CSO", "evseId": page[0][0],
            "chargingProfile": page[0][1], "tbc": tbc})
        return {"status": "Accepted"}

    # --- display messages (O) ---------------------------------------------------------------------------
    async def set_display_message(self, call: InboundCall) -> dict[str, Any]:
        return {"status": self.display.set(call.payload["message"])}

    async def get_display_messages(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        found = self.display.select(p.get("id"), p.get("priority"), p.get("state"))
        if not found:
            return {"status": "Unknown"}
        self.station.after(call, lambda: self.station.send("NotifyDisplayMessages", {
            "requestId": p["requestId"], "messageInfo": found, "tbc": False}))
        return {"status": "Accepted"}

    async def clear_display_message(self, call: InboundCall) -> dict[str, Any]:
        return {"status": "Accepted" if self.display.clear(call.payload["id"]) else "Unknown"}

    # --- certificates (A, M) ---------------------------------------------------------------------------
    async def install_certificate(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        status = st.certs.install(call.payload["certificateType"], call.payload["certificate"], st.clock.now())
        self.model.set_actual(("SecurityCtrlr", None, None, None, "CertificateEntries", None),
                              str(len(st.certs.roots)))
        return {"status": status}

    async def delete_certificate(self, call: InboundCall) -> dict[str, Any]:
        st = self.station
        status = st.certs.delete(call.payload["certificateHashData"])
        self.model.set_actual(("SecurityCtrlr", None, None, None, "CertificateEntries", None),
                              str(len(st.certs.roots)))
        return {"status": status}

    async def get_installed_certificate_ids(self, call: InboundCall) -> dict[str, Any]:
        types = call.payload.get("certificateType")
        found = self.station.certs.ids([t for t in types if t in ROOT_TYPES_V2] if types else None)
        if not found:
            return {"status": "NotFound"}
        return {"status": "Accepted", "certificateHashDataChain": [
            {"certificateType": kind, "certificateHashData": data} for kind, data in found]}

    async def certificate_signed_v2(self, call: InboundCall) -> dict[str, Any]:
        out = self.certificate_signed(call.payload["certificateChain"], "InvalidChargingStationCertificate")
        return out

    # --- 2.1 additions this charger has no hardware or tariff support for -------------------------------
    async def change_transaction_tariff(self, call: InboundCall) -> dict[str, Any]:
        if self._find_tx(call.payload["transactionId"]) is None:
            return {"status": "TxNotFound"}
        return {"status": "Rejected", "statusInfo": {"reasonCode": "NoTariffs"}}

    async def clear_tariffs(self, call: InboundCall) -> dict[str, Any]:
        ids = call.payload.get("tariffIds") or []
        if not ids:
            return {"clearTariffsResult": [{"status": "NoTariff"}]}
        return {"clearTariffsResult": [{"tariffId": t, "status": "NoTariff"} for t in ids]}

    async def get_periodic_event_stream(self, call: InboundCall) -> dict[str, Any]:
        return {}

    async def notify_allowed_energy_transfer(self, call: InboundCall) -> dict[str, Any]:
        p = call.payload
        plain = {"AC_single_phase", "AC_two_phase", "AC_three_phase", "DC"}
        if self._find_tx(p["transactionId"]) is None or not plain & set(p["allowedEnergyTransfer"]):
            return {"status": "Rejected"}
        return {"status": "Accepted"}

    async def use_priority_charging(self, call: InboundCall) -> dict[str, Any]:
        if self._find_tx(call.payload["transactionId"]) is None:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "TxNotFound"}}
        return {"status": "NoProfile"}


async def _run(fn: Callable[[], Any]) -> None:
    fn()

"""The 2.0.1 / 2.1 device model: components, variables, attributes and characteristics.

The catalog (what exists, types, limits, mutability) is built once per station shape and
shared; a station keeps only its values, persisted in namespace `vars`, so thousands of
simulated stations do not carry thousands of copies of the model. Answers GetVariables,
SetVariables, GetBaseReport and GetReport (B05-B08).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from chargeline.ocpp.versions import OcppVersion
from chargeline.station.config import StationConfig
from chargeline.station.measurands import supported
from chargeline.station.settings import NAMES, Settings
from chargeline.station.store import StationState

MAX_VALUE = 2500  # attributeValue length in responses (1000 in SetVariables requests)
TX_POINTS = "ParkingBayOccupancy,EVConnected,Authorized,DataSigned,PowerPathClosed,EnergyTransfer"
AVAILABILITY = "Available,Occupied,Reserved,Unavailable,Faulted"

# (component, component instance, evse, connector, variable, variable instance)
Key = tuple[str, str | None, int | None, int | None, str, str | None]


@dataclass(frozen=True, slots=True)
class Attr:
    mutability: str = "ReadWrite"  # ReadOnly | WriteOnly | ReadWrite
    default: str = ""
    persistent: bool = True
    constant: bool = False


@dataclass(frozen=True, slots=True)
class Variable:
    component: str
    variable: str
    data_type: str = "string"
    attrs: dict[str, Attr] = field(default_factory=dict)
    evse: int | None = None
    connector: int | None = None
    component_instance: str | None = None
    instance: str | None = None
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None
    monitoring: bool = False
    reboot: bool = False

    @property
    def key(self) -> Key:
        return (self.component, self.component_instance, self.evse, self.connector, self.variable, self.instance)

    def component_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.component}
        if self.component_instance:
            out["instance"] = self.component_instance
        if self.evse is not None:
            out["evse"] = {"id": self.evse} if self.connector is None else {"id": self.evse,
                                                                              "connectorId": self.connector}
        return out

    def variable_json(self) -> dict[str, Any]:
        return {"name": self.variable, **({"instance": self.instance} if self.instance else {})}

    def characteristics(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dataType": self.data_type, "supportsMonitoring": self.monitoring}
        if self.unit:
            out["unit"] = self.unit
        if self.min_limit is not None:
            out["minLimit"] = self.min_limit
        if self.max_limit is not None:
            out["maxLimit"] = self.max_limit
        if self.values_list:
            out["valuesList"] = self.values_list
        return out


def _v(component: str, variable: str, data_type: str, default: str, mutability: str = "ReadWrite",
       **kw: Any) -> Variable:
    constant = mutability == "ReadOnly" and kw.pop("constant", True)
    persistent = kw.pop("persistent", True)
    return Variable(component, variable, data_type, {"Actual": Attr(mutability, default, persistent, constant)}, **kw)


def _ro(component: str, variable: str, data_type: str, default: str, **kw: Any) -> Variable:
    return _v(component, variable, data_type, default, "ReadOnly", **kw)


def _build(version: OcppVersion, layout: tuple[int, ...], dc: bool, phases: int, power: float, current: float,
           connector_type: str, model: str, vendor: str, station_id: str, cpo: str) -> tuple[Variable, ...]:
    meas = ",".join(supported(dc))
    sampled = "Energy.Active.Import.Register,Power.Active.Import,Current.Import" + (",SoC" if dc else "")
    password_type = "string"  # 2.1's passwordString is not a reportable dataType in its own schemas
    out: list[Variable] = [
        _ro("ChargingStation", "AvailabilityState", "OptionList", "Available", values_list=AVAILABILITY,
            constant=False, monitoring=True),
        _ro("ChargingStation", "Available", "boolean", "true"),
        _ro("ChargingStation", "Model", "string", model),
        _ro("ChargingStation", "VendorName", "string", vendor),
        _ro("ChargingStation", "SupplyPhases", "integer", str(0 if dc else phases)),
        _ro("ChargingStation", "Problem", "boolean", "false", constant=False, monitoring=True),
        Variable("ChargingStation", "Power", "decimal", {"Actual": Attr("ReadOnly", "0", False),
                                                         "MaxSet": Attr("ReadOnly", f"{power * len(layout):.0f}")},
                 unit="W", max_limit=power * len(layout), monitoring=True),
        _ro("ClockCtrlr", "DateTime", "dateTime", "", constant=False, persistent=False),
        _v("ClockCtrlr", "TimeSource", "SequenceList", "Heartbeat", values_list="Heartbeat,NTP,GPS,RealTimeClock"),
        _ro("DeviceDataCtrlr", "ItemsPerMessage", "integer", "20", instance="GetReport"),
        _ro("DeviceDataCtrlr", "ItemsPerMessage", "integer", "50", instance="GetVariables"),
        _ro("DeviceDataCtrlr", "ItemsPerMessage", "integer", "50", instance="SetVariables"),
        _ro("DeviceDataCtrlr", "BytesPerMessage", "integer", "65000", instance="GetReport"),
        _ro("DeviceDataCtrlr", "BytesPerMessage", "integer", "65000", instance="GetVariables"),
        _ro("DeviceDataCtrlr", "BytesPerMessage", "integer", "65000", instance="SetVariables"),
        _ro("OCPPCommCtrlr", "ActiveNetworkProfile", "integer", "0", constant=False),
        _ro("OCPPCommCtrlr", "FileTransferProtocols", "MemberList", "HTTP,HTTPS,FTP", values_list="HTTP,HTTPS,FTP"),
        _v("OCPPCommCtrlr", "HeartbeatInterval", "integer", "300", unit="s", min_limit=0),
        _v("OCPPCommCtrlr", "MessageAttempts", "integer", "3", instance="TransactionEvent", min_limit=0),
        _v("OCPPCommCtrlr", "MessageAttemptInterval", "integer", "30", instance="TransactionEvent", unit="s",
           min_limit=0),
        _v("OCPPCommCtrlr", "MessageTimeout", "integer", "30", instance="Default", unit="s", min_limit=1),
        _v("OCPPCommCtrlr", "NetworkConfigurationPriority", "SequenceList", "0", values_list="0,1,2"),
        _v("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", "integer", "3", min_limit=0),
        _v("OCPPCommCtrlr", "OfflineThreshold", "integer", "60", unit="s", min_limit=0),
        _v("OCPPCommCtrlr", "QueueAllMessages", "boolean", "false"),
        _v("OCPPCommCtrlr", "ResetRetries", "integer", "2", min_limit=0),
        _v("OCPPCommCtrlr", "RetryBackOffRandomRange", "integer", "5", unit="s", min_limit=0),
        _v("OCPPCommCtrlr", "RetryBackOffRepeatTimes", "integer", "5", min_limit=0),
        _v("OCPPCommCtrlr", "RetryBackOffWaitMinimum", "integer", "3", unit="s", min_limit=0),
        _v("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", "boolean", "true"),
        _v("OCPPCommCtrlr", "WebSocketPingInterval", "integer", "30", unit="s", min_limit=0),
        _v("SecurityCtrlr", "BasicAuthPassword", password_type, "", "WriteOnly", min_limit=16, max_limit=40),
        _ro("SecurityCtrlr", "Identity", "string", station_id),
        _v("SecurityCtrlr", "OrganizationName", "string", cpo),
        _ro("SecurityCtrlr", "SecurityProfile", "integer", "0", constant=False),
        _ro("SecurityCtrlr", "CertificateEntries", "integer", "0", constant=False),
        _v("SecurityCtrlr", "CertSigningWaitMinimum", "integer", "60", unit="s", min_limit=1),
        _v("SecurityCtrlr", "CertSigningRepeatTimes", "integer", "3", min_limit=0),
        _ro("SecurityCtrlr", "AdditionalRootCertificateCheck", "boolean", "false"),
        _ro("SecurityCtrlr", "MaxCertificateChainSize", "integer", "10000"),
        _v("AuthCtrlr", "Enabled", "boolean", "true"),
        _v("AuthCtrlr", "AuthorizeRemoteStart", "boolean", "false"),
        _v("AuthCtrlr", "LocalAuthorizeOffline", "boolean", "true"),
        _v("AuthCtrlr", "LocalPreAuthorize", "boolean", "false"),
        _v("AuthCtrlr", "OfflineTxForUnknownIdEnabled", "boolean", "false"),
        _v("AuthCtrlr", "DisableRemoteAuthorization", "boolean", "false"),
        _v("AuthCacheCtrlr", "Enabled", "boolean", "true"),
        _ro("AuthCacheCtrlr", "Available", "boolean", "true"),
        _v("AuthCacheCtrlr", "LifeTime", "integer", "86400", unit="s", min_limit=0),
        _ro("AuthCacheCtrlr", "Policy", "OptionList", "LRU", values_list="Other,LRU,LFU,FIFO,CUSTOM"),
        _v("LocalAuthListCtrlr", "Enabled", "boolean", "true"),
        _ro("LocalAuthListCtrlr", "Available", "boolean", "true"),
        _ro("LocalAuthListCtrlr", "Entries", "integer", "0", constant=False, max_limit=1000),
        _ro("LocalAuthListCtrlr", "ItemsPerMessage", "integer", "250"),
        _ro("LocalAuthListCtrlr", "BytesPerMessage", "integer", "65000"),
        _ro("LocalAuthListCtrlr", "Storage", "integer", "1000000", unit="B"),
        _v("TxCtrlr", "EVConnectionTimeOut", "integer", "120", unit="s", min_limit=1),
        _v("TxCtrlr", "StopTxOnEVSideDisconnect", "boolean", "true"),
        _v("TxCtrlr", "StopTxOnInvalidId", "boolean", "true"),
        _v("TxCtrlr", "MaxEnergyOnInvalidId", "integer", "0", unit="Wh", min_limit=0),
        _v("TxCtrlr", "TxBeforeAcceptedEnabled", "boolean", "false"),
        _v("TxCtrlr", "TxStartPoint", "MemberList", "PowerPathClosed", values_list=TX_POINTS),
        _v("TxCtrlr", "TxStopPoint", "MemberList", "EVConnected,Authorized", values_list=TX_POINTS),
        _v("SampledDataCtrlr", "Enabled", "boolean", "true"),
        _v("SampledDataCtrlr", "TxStartedMeasurands", "MemberList", "Energy.Active.Import.Register",
           values_list=meas),
        _v("SampledDataCtrlr", "TxUpdatedMeasurands", "MemberList", sampled, values_list=meas),
        _v("SampledDataCtrlr", "TxUpdatedInterval", "integer", "60", unit="s", min_limit=0),
        _v("SampledDataCtrlr", "TxEndedMeasurands", "MemberList", "Energy.Active.Import.Register",
           values_list=meas),
        _v("SampledDataCtrlr", "TxEndedInterval", "integer", "0", unit="s", min_limit=0),
        _ro("SampledDataCtrlr", "RegisterValuesWithoutPhases", "boolean", "true"),
        _v("AlignedDataCtrlr", "Enabled", "boolean", "true"),
        _v("AlignedDataCtrlr", "Interval", "integer", "0", unit="s", min_limit=0),
        _v("AlignedDataCtrlr", "Measurands", "MemberList", "Energy.Active.Import.Register", values_list=meas),
        _v("AlignedDataCtrlr", "TxEndedInterval", "integer", "0", unit="s", min_limit=0),
        _v("AlignedDataCtrlr", "TxEndedMeasurands", "MemberList", "", values_list=meas),
        _v("AlignedDataCtrlr", "SendDuringIdle", "boolean", "false"),
        _v("ReservationCtrlr", "Enabled", "boolean", "true"),
        _ro("ReservationCtrlr", "Available", "boolean", "true"),
        _ro("ReservationCtrlr", "NonEvseSpecific", "boolean", "true"),
        _v("SmartChargingCtrlr", "Enabled", "boolean", "true"),
        _ro("SmartChargingCtrlr", "Available", "boolean", "true"),
        _ro("SmartChargingCtrlr", "ACPhaseSwitchingSupported", "boolean", "false"),
        _ro("SmartChargingCtrlr", "ProfileStackLevel", "integer", "10"),
        _ro("SmartChargingCtrlr", "RateUnit", "MemberList", "A,W", values_list="A,W"),
        _ro("SmartChargingCtrlr", "PeriodsPerSchedule", "integer", "48"),
        _ro("SmartChargingCtrlr", "Entries", "integer", "0", instance="ChargingProfiles", constant=False,
            max_limit=20),
        _v("SmartChargingCtrlr", "LimitChangeSignificance", "decimal", "10", unit="Percent", min_limit=0),
        _v("SmartChargingCtrlr", "ExternalControlSignalsEnabled", "boolean", "false"),
        _v("SmartChargingCtrlr", "NotifyChargingLimitWithSchedules", "boolean", "false"),
        _ro("SmartChargingCtrlr", "Phases3to1", "boolean", "false"),
        _v("MonitoringCtrlr", "Enabled", "boolean", "true"),
        _ro("MonitoringCtrlr", "Available", "boolean", "true"),
        _ro("MonitoringCtrlr", "ItemsPerMessage", "integer", "20", instance="SetVariableMonitoring"),
        _ro("MonitoringCtrlr", "ItemsPerMessage", "integer", "20", instance="ClearVariableMonitoring"),
        _ro("MonitoringCtrlr", "ActiveMonitoringBase", "OptionList", "All",
            values_list="All,FactoryDefault,HardWiredOnly", constant=False),
        _ro("MonitoringCtrlr", "ActiveMonitoringLevel", "integer", "9", constant=False),
        _v("MonitoringCtrlr", "OfflineQueuingSeverity", "integer", "2", min_limit=0, max_limit=9),
        _v("DisplayMessageCtrlr", "Enabled", "boolean", "true"),
        _ro("DisplayMessageCtrlr", "Available", "boolean", "true"),
        _ro("DisplayMessageCtrlr", "DisplayMessages", "integer", "10"),
        _ro("DisplayMessageCtrlr", "SupportedFormats", "MemberList", "ASCII,HTML,URI,UTF8",
            values_list="ASCII,HTML,URI,UTF8"),
        _ro("DisplayMessageCtrlr", "SupportedPriorities", "MemberList", "AlwaysFront,InFront,NormalCycle",
            values_list="AlwaysFront,InFront,NormalCycle"),
        _v("DisplayMessageCtrlr", "Language", "string", "en"),
    ]
    for evse, connectors in enumerate(layout, start=1):
        out += [
            _ro("EVSE", "AvailabilityState", "OptionList", "Available", evse=evse, values_list=AVAILABILITY,
                constant=False, monitoring=True),
            _ro("EVSE", "Available", "boolean", "true", evse=evse),
            _ro("EVSE", "SupplyPhases", "integer", str(0 if dc else phases), evse=evse),
            Variable("EVSE", "Power", "decimal", {"Actual": Attr("ReadOnly", "0", False),
                                                  "MaxSet": Attr("ReadOnly", f"{power:.0f}")},
                     evse=evse, unit="W", max_limit=power, monitoring=True),
        ]
        if not dc:
            out.append(_ro("EVSE", "CurrentImport", "decimal", "0", evse=evse, unit="A", constant=False,
                           persistent=False, max_limit=current, monitoring=True))
        for connector in range(1, connectors + 1):
            out += [
                _ro("Connector", "AvailabilityState", "OptionList", "Available", evse=evse, connector=connector,
                    values_list=AVAILABILITY, constant=False, monitoring=True),
                _ro("Connector", "Available", "boolean", "true", evse=evse, connector=connector),
                _ro("Connector", "ConnectorType", "string", connector_type, evse=evse, connector=connector),
                _ro("Connector", "SupplyPhases", "integer", str(0 if dc else phases), evse=evse,
                    connector=connector),
            ]
    return tuple(out)


@lru_cache(maxsize=64)
def _catalog(*args: Any) -> tuple[tuple[Variable, ...], dict[Key, Variable]]:
    variables = _build(*args)
    return variables, {v.key: v for v in variables}


def _store_key(key: Key, attribute: str) -> str:
    comp, comp_inst, evse, conn, var, var_inst = key
    return f"{comp}|{comp_inst or ''}|{'' if evse is None else evse}|{'' if conn is None else conn}|" \
           f"{var}|{var_inst or ''}|{attribute}"


# neutral settings whose 2.x value is a characteristic, not a value
_LIMIT_SETTINGS = {"max_profiles": ("SmartChargingCtrlr", None, None, None, "Entries", "ChargingProfiles"),
                   "local_list_max": ("LocalAuthListCtrlr", None, None, None, "Entries", None)}

ChangeHook = Callable[[Variable, str, str], None]


class DeviceModel(Settings):
    def __init__(self, cfg: StationConfig, state: StationState):
        layout = tuple(cfg.layout())
        self.variables, self.index = _catalog(
            cfg.version, layout, cfg.dc, cfg.phases, cfg.rated_power_w, cfg.max_current_a, cfg.connector_type,
            cfg.model, cfg.vendor, cfg.station_id, cfg.cpo_name)
        self.state = state
        self.version = cfg.version
        self.values: dict[tuple[Key, str], str] = {}
        self.dynamic: dict[Key, Callable[[], str]] = {}
        self.on_change: list[ChangeHook] = []
        self.reboot_pending = False
        for name, value in cfg.settings.items():  # factory overrides: "Component.Variable[.Instance]"
            key = self._parse_setting(name)
            if key is not None:
                self.values[(key, "Actual")] = value
        if cfg.password:
            self.values[(("SecurityCtrlr", None, None, None, "BasicAuthPassword", None), "Actual")] = cfg.password
        self.values[(("SecurityCtrlr", None, None, None, "SecurityProfile", None), "Actual")] = \
            str(cfg.security_profile)
        prefix_len = 7
        for stored, value in state.items("vars"):
            comp, comp_inst, evse, conn, var, var_inst, attribute = stored.split("|")
            key = (comp, comp_inst or None, int(evse) if evse else None, int(conn) if conn else None, var,
                   var_inst or None)
            if key in self.index and len(stored.split("|")) == prefix_len:
                self.values[(key, attribute)] = value

    def _parse_setting(self, name: str) -> Key | None:
        parts = name.split(".")
        if len(parts) < 2:
            return None
        key = (parts[0], None, None, None, parts[1], parts[2] if len(parts) > 2 else None)
        return key if key in self.index else None

    # Settings -------------------------------------------------------------------------------
    def raw(self, name: str) -> str | None:
        if name in _LIMIT_SETTINGS:
            var = self.index.get(_LIMIT_SETTINGS[name])
            return None if var is None or var.max_limit is None else str(int(var.max_limit))
        path = NAMES.get(name, (None, None))[1]
        if path is None:
            return None
        key = (path[0], None, None, None, path[1], path[2] if len(path) > 2 else None)
        return self.value(key)

    def set_raw(self, name: str, value: str) -> None:
        path = NAMES[name][1]
        if path is not None:
            self.set_actual((path[0], None, None, None, path[1], path[2] if len(path) > 2 else None), value)

    # values ---------------------------------------------------------------------------------
    def value(self, key: Key, attribute: str = "Actual") -> str | None:
        var = self.index.get(key)
        if var is None or attribute not in var.attrs:
            return None
        if attribute == "Actual" and key in self.dynamic:
            return self.dynamic[key]()
        return self.values.get((key, attribute), var.attrs[attribute].default)

    def set_actual(self, key: Key, value: str, attribute: str = "Actual") -> None:
        """A value changed inside the station (availability, entries...): persisted, monitors told."""
        var = self.index.get(key)
        if var is None:
            return
        old = self.value(key, attribute)
        if old == value:
            return
        self.values[(key, attribute)] = value
        if var.attrs[attribute].persistent:
            self.state.put("vars", _store_key(key, attribute), value)
        for hook in self.on_change:
            hook(var, old or "", value)

    # lookup from OCPP JSON -------------------------------------------------------------------
    def find(self, component: dict[str, Any], variable: dict[str, Any]) -> tuple[Variable | None, str | None]:
        """(variable, None) or (None, 'UnknownComponent' | 'UnknownVariable')."""
        evse = component.get("evse") or {}
        key = (component["name"], component.get("instance"), evse.get("id"), evse.get("connectorId"),
               variable["name"], variable.get("instance"))
        var = self.index.get(key)
        if var is not None:
            return var, None
        known_component = any(v.component == key[0] and v.component_instance == key[1] and v.evse == key[2]
                              and v.connector == key[3] for v in self.variables)
        return None, ("UnknownVariable" if known_component else "UnknownComponent")

    # GetVariables (B06) -----------------------------------------------------------------------
    def get_variables(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        for item in requests:
            attribute = item.get("attributeType", "Actual")
            result: dict[str, Any] = {"attributeType": attribute, "component": item["component"],
                                      "variable": item["variable"]}
            var, problem = self.find(item["component"], item["variable"])
            if var is None:
                result["attributeStatus"] = problem
            elif attribute not in var.attrs:
                result["attributeStatus"] = "NotSupportedAttributeType"
            elif var.attrs[attribute].mutability == "WriteOnly":
                result["attributeStatus"] = "Rejected"
                result["attributeStatusInfo"] = {"reasonCode": "WriteOnly"}
            else:
                result["attributeStatus"] = "Accepted"
                result["attributeValue"] = (self.value(var.key, attribute) or "")[:MAX_VALUE]
            results.append(result)
        return results

    # SetVariables (B05) -----------------------------------------------------------------------
    def set_variables(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        for item in requests:
            attribute = item.get("attributeType", "Actual")
            result: dict[str, Any] = {"attributeType": attribute, "component": item["component"],
                                      "variable": item["variable"]}
            var, problem = self.find(item["component"], item["variable"])
            status, reason = (problem, None) if var is None else self._set(var, attribute, item["attributeValue"])
            result["attributeStatus"] = status
            if reason:
                result["attributeStatusInfo"] = {"reasonCode": reason}
            results.append(result)
        return results

    def _set(self, var: Variable, attribute: str, value: str) -> tuple[str, str | None]:
        if attribute not in var.attrs:
            return "NotSupportedAttributeType", None
        if var.attrs[attribute].mutability == "ReadOnly":
            return "Rejected", "ReadOnly"
        reason = _invalid(var, value)
        if reason:
            return "Rejected", reason
        self.set_actual(var.key, value, attribute)
        if var.reboot:
            self.reboot_pending = True
            return "RebootRequired", None
        return "Accepted", None

    # reports (B07, B08) ----------------------------------------------------------------------
    def report(self, base: str | None = None, component_variables: list[dict[str, Any]] | None = None,
               criteria: list[str] | None = None) -> list[dict[str, Any]]:
        """reportData entries for GetBaseReport (`base`) or GetReport (filters)."""
        selected: Iterable[Variable] = self.variables
        if base == "ConfigurationInventory":
            selected = [v for v in self.variables if any(a.mutability != "ReadOnly" for a in v.attrs.values())]
        elif base == "SummaryInventory":
            selected = [v for v in self.variables if v.variable in ("AvailabilityState", "Available", "Problem")
                        or v.component == "ChargingStation"]
        if component_variables:
            selected = [v for v in selected if any(_matches(v, cv) for cv in component_variables)]
        if criteria:
            selected = [v for v in selected if self._meets(v, criteria)]
        return [self._report_entry(v, summary=base == "SummaryInventory") for v in selected]

    def _meets(self, var: Variable, criteria: list[str]) -> bool:
        """componentCriteria: the component's Active/Available/Enabled/Problem variable is true."""
        for criterion in criteria:
            key = (var.component, var.component_instance, var.evse, var.connector, criterion, None)
            if key in self.index and (self.value(key) or "").lower() == "true":
                return True
        return False

    def _report_entry(self, var: Variable, summary: bool = False) -> dict[str, Any]:
        attributes = []
        for name, attr in var.attrs.items():
            item: dict[str, Any] = {"type": name, "mutability": attr.mutability, "persistent": attr.persistent,
                                    "constant": attr.constant}
            if attr.mutability != "WriteOnly":
                item["value"] = (self.value(var.key, name) or "")[:MAX_VALUE]
            attributes.append(item)
        entry: dict[str, Any] = {"component": var.component_json(), "variable": var.variable_json(),
                                 "variableAttribute": attributes}
        if not summary:
            entry["variableCharacteristics"] = var.characteristics()
        return entry


def _matches(var: Variable, cv: dict[str, Any]) -> bool:
    component = cv["component"]
    if component["name"] != var.component:
        return False
    if component.get("instance") is not None and component["instance"] != var.component_instance:
        return False
    evse = component.get("evse")
    if evse is not None and (evse.get("id") != var.evse or evse.get("connectorId", var.connector) != var.connector):
        return False
    variable = cv.get("variable")
    if variable is None:
        return True
    return variable["name"] == var.variable and variable.get("instance", var.instance) == var.instance


def _invalid(var: Variable, value: str) -> str | None:
    """Why `value` does not fit the variable's characteristics (reasonCode), or None."""
    try:
        if var.data_type == "integer":
            number: float = int(value)
        elif var.data_type == "decimal":
            number = float(value)
        elif var.data_type == "boolean":
            return None if value in ("true", "false") else "InvalidValue"
        elif var.data_type == "dateTime":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return None
        elif var.data_type in ("OptionList", "MemberList", "SequenceList"):
            allowed = set((var.values_list or "").split(","))
            items = [v for v in value.split(",") if v] if var.data_type != "OptionList" else [value]
            return None if all(v in allowed for v in items) else "InvalidValue"
        else:
            if var.max_limit is not None and len(value) > var.max_limit:
                return "ValueTooLong"
            if var.min_limit is not None and len(value) < var.min_limit:
                return "ValueTooShort"
            return None
    except ValueError:
        return "InvalidValue"
    if var.min_limit is not None and number < var.min_limit:
        return "ValueTooLow"
    if var.max_limit is not None and number > var.max_limit:
        return "ValueTooHigh"
    return None


def evse_key(variable: str, evse: int, connector: int | None = None) -> Key:
    return ("EVSE" if connector is None else "Connector", None, evse, connector, variable, None)


def station_key(component: str, variable: str, instance: str | None = None) -> Key:
    return (component, None, None, None, variable, instance)

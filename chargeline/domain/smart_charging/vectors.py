"""Read the shared vector file format (brief Appendix A), compute results, compare with expectations.

Used by the `chargeline smart-charging` commands and by the tests, so the CLI
and the tests always exercise the same input mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from chargeline.domain.smart_charging.allocation import AllocationSettings, ChargingSession, SiteNode, allocate
from chargeline.domain.smart_charging.composite import ActiveTransaction, StationConfig, composite_schedule
from chargeline.domain.smart_charging.conversion import profile_from_ocpp
from chargeline.domain.smart_charging.profiles import ChargingProfile, ChargingRateUnit, InstalledProfile, OcppVersion
from chargeline.domain.smart_charging.times import epoch, parse_time
from chargeline.domain.smart_charging.tou import ChargingPlan, PriceSlot, plan_charging

DEFAULT_TOLERANCE = 1e-3
Vector = Mapping[str, Any]


def load_vectors(path: str | Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(Path(path).read_bytes())
    return data


def tolerance(data: Mapping[str, Any]) -> float:
    """The limit tolerance stated in `conventions.comparison` (1e-3 if not stated)."""
    text = str(data.get("conventions", {}).get("comparison", ""))
    found = re.search(r"tolerance\s+([0-9.]+(?:[eE][-+]?\d+)?)", text)
    return float(found.group(1)) if found else DEFAULT_TOLERANCE


# -------------------------------------------------------------------------------------------- composite


def composite_case(vector: Vector) -> dict[str, Any]:
    """Computed composite for one composite vector, in the shape of its `expected`."""
    installed = [
        InstalledProfile(int(p["evseId"]), _profile(p["chargingProfile"])) for p in vector["installed_profiles"]
    ]
    transactions = [
        ActiveTransaction(int(t["evseId"]), str(t["transactionId"]), parse_time(t["startTime"]))
        for t in vector.get("transactions", [])
    ]
    request = vector["request"]
    unit = request.get("chargingRateUnit")
    schedule = composite_schedule(
        installed,
        int(request["evseId"]),
        parse_time(request["windowStart"]),
        int(request["duration"]),
        None if unit is None else ChargingRateUnit(unit),
        StationConfig.from_dict(vector.get("station_config", {})),
        transactions,
    )
    return schedule.to_dict()


def _profile(data: Mapping[str, Any]) -> ChargingProfile:
    """Profiles use the 2.x JSON shape whatever `ocpp_version` says (conventions.profiles); accept 1.6 shape too."""
    return profile_from_ocpp(data, OcppVersion.V16 if "chargingProfileId" in data else OcppVersion.V21)


def composite_results(data: Mapping[str, Any]) -> dict[str, Any]:
    return {v["id"]: {"expected": composite_case(v)} for v in data.get("composite_vectors", [])}


def compare_composite(expected: Mapping[str, Any], actual: Mapping[str, Any], tol: float) -> list[str]:
    """Differences per the file's conventions (limit within tol; phases/setpoint/discharge where expected)."""
    problems = [
        f"{key}: expected {expected[key]!r}, got {actual.get(key)!r}"
        for key in ("evseId", "duration", "chargingRateUnit")
        if key in expected and expected[key] != actual.get(key)
    ]
    if "scheduleStart" in expected and parse_time(expected["scheduleStart"]) != parse_time(actual["scheduleStart"]):
        problems.append(f"scheduleStart: expected {expected['scheduleStart']}, got {actual['scheduleStart']}")
    want, got = expected["chargingSchedulePeriod"], actual.get("chargingSchedulePeriod", [])
    if len(want) != len(got):
        return [*problems, f"{len(want)} periods expected, got {len(got)}: {got}"]
    for w, g in zip(want, got, strict=True):
        if w["startPeriod"] != g["startPeriod"] or abs(float(w["limit"]) - float(g["limit"])) > tol:
            problems.append(f"period {w} != {g}")
            continue
        for key in ("numberPhases", "setpoint", "dischargeLimit", "limit_L2", "limit_L3"):
            if key in w and (g.get(key) is None or abs(float(w[key]) - float(g[key])) > tol):
                problems.append(f"period {w['startPeriod']}: {key} expected {w[key]}, got {g.get(key)}")
    return problems


# ------------------------------------------------------------------------------------------- allocation

_STEP_AC = re.compile(r"AC:[^;]*?([0-9.]+)\s*A", re.IGNORECASE)
_STEP_DC = re.compile(r"DC:[^;]*?([0-9.]+)\s*W", re.IGNORECASE)


def _settings(inputs: Mapping[str, Any]) -> AllocationSettings:
    text = str(inputs.get("quantisation", ""))
    ac, dc = _STEP_AC.search(text), _STEP_DC.search(text)
    return AllocationSettings(
        voltage=float(inputs.get("supply_voltage", 230.0)),
        ac_step_a=float(ac.group(1)) if ac else 0.1,
        dc_step_w=float(dc.group(1)) if dc else 100.0,
        demand_estimation=bool(inputs.get("use_demand_estimation", True)),
    )


def _opt(data: Mapping[str, Any], key: str) -> float | None:
    return None if data.get(key) is None else float(data[key])


def _nodes(inputs: Mapping[str, Any]) -> list[SiteNode]:
    """Grid connection `site` plus optional `circuits` / `stations` ({id, parent?, limit_W?, limit_A?})."""
    nodes = [
        SiteNode(
            "site",
            None,
            _opt(inputs, "site_limit_W"),
            _opt(inputs, "site_limit_A"),
            float(inputs.get("non_ev_load_W", 0.0)),
            float(inputs.get("safety_margin", 0.0)),
        )
    ]
    for group in ("circuits", "stations"):
        for node in inputs.get(group, []):
            nodes.append(
                SiteNode(
                    str(node["id"]),
                    str(node.get("parent", "site")),
                    _opt(node, "limit_W"),
                    _opt(node, "limit_A"),
                    float(node.get("non_ev_load_W", 0.0)),
                )
            )
    return nodes


def _watts(ev: Mapping[str, Any], names: tuple[str, ...], volts_phases: float) -> tuple[float, ...]:
    """First present field among `<name>_W` / `<name>_A` (per phase); a number or a list of samples."""
    for name in names:
        for suffix, factor in (("_W", 1.0), ("_A", volts_phases), ("_kW", 1000.0)):
            value = ev.get(name + suffix)
            if value is not None:
                return tuple(float(x) * factor for x in (value if isinstance(value, list) else [value]))
    return ()


_PRIORITY_WORDS = {"low": -1, "normal": 0, "medium": 0, "high": 1, "urgent": 2}


def _priority(value: Any) -> int:
    """Integer priorities as given; a few words are accepted too (higher = served first)."""
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        return _PRIORITY_WORDS.get(value.lower(), 0)
    return int(value)


def _session(ev: Mapping[str, Any], volts: float) -> ChargingSession:
    """One `evs` entry; demand-estimation inputs under a few natural names (measured_W, last_limit_A, ...)."""
    phases = int(ev.get("phases", 3))
    volts_phases = volts * phases
    last = _watts(ev, ("last_limit", "last_allocation", "allocated", "previous_limit"), volts_phases)
    external = _watts(ev, ("external_cap", "external_limit"), volts_phases)
    return ChargingSession(
        evse_id=str(ev["id"]),
        node=str(ev.get("station") or ev.get("circuit") or ev.get("node") or "site"),
        dc=str(ev.get("type", "AC")).upper() == "DC",
        phases=phases,
        first_phase=int(ev.get("first_phase", ev.get("phase", 1))),
        max_a=_opt(ev, "max_A"),
        min_a=_opt(ev, "min_A"),
        max_w=_opt(ev, "max_W"),
        min_w=_opt(ev, "min_W"),
        priority=_priority(ev.get("priority", 0)),
        weight=float(ev.get("weight", 1.0)),
        measured_w=_watts(ev, ("measured", "measured_power", "draw"), volts_phases),
        last_limit_w=last[-1] if last else None,
        external_cap_w=external[-1] if external else None,
        efficiency=float(ev.get("efficiency", 1.0)),
    )


def allocation_case(vector: Vector) -> dict[str, Any]:
    inputs = vector["inputs"]
    settings = _settings(inputs)
    sessions = [_session(ev, settings.voltage) for ev in inputs["evs"]]
    result = allocate(_nodes(inputs), sessions, settings)
    rows: list[dict[str, Any]] = []
    for session, item in zip(sessions, result, strict=True):
        row: dict[str, Any] = {"id": item.evse_id, "limit_W": item.limit_w}
        if not session.dc:
            row["limit_A_per_phase"] = item.limit_a
            row["numberPhases"] = item.number_phases
        rows.append(row)
    return {"expected": rows, "expected_total_W": round(sum(r["limit_W"] for r in rows), 6)}


def compare_allocation(expected: Vector, actual: Mapping[str, Any], tol: float) -> list[str]:
    problems = []
    if abs(float(expected["expected_total_W"]) - float(actual["expected_total_W"])) > tol:
        problems.append(f"total: expected {expected['expected_total_W']}, got {actual['expected_total_W']}")
    got = {row["id"]: row for row in actual["expected"]}
    for row in expected["expected"]:
        mine = got.get(row["id"], {})
        for key, value in row.items():
            if key == "id":
                continue
            if mine.get(key) is None or abs(float(value) - float(mine[key])) > tol:
                problems.append(f"{row['id']}.{key}: expected {value}, got {mine.get(key)}")
    return problems


# -------------------------------------------------------------------------------------------------- tou


def tou_case(vector: Vector) -> dict[str, Any]:
    inputs = vector["inputs"]
    start = parse_time(inputs["plugin_time"])
    slots = [
        PriceSlot(int(s["startOffset_s"]), int(s["duration_s"]), float(s["price_per_kWh"]), _opt(s, "site_limit_W"))
        for s in inputs["slots"]
    ]
    departure = inputs.get("departure_offset_s")
    if departure is None and inputs.get("departure_time") is not None:
        departure = epoch(parse_time(inputs["departure_time"])) - epoch(start)
    plan: ChargingPlan = plan_charging(
        start,
        slots,
        float(inputs["energy_needed_Wh"]),
        float(inputs["max_power_W"]),
        str(inputs.get("negative_price_policy", "max")),
        None if departure is None else int(departure),
        _opt(inputs, "site_limit_W"),
    )
    return {"expected_txprofile": plan.to_dict(), "expected_unserved_Wh": plan.unserved_wh}


def compare_tou(expected: Vector, actual: Mapping[str, Any], tol: float) -> list[str]:
    problems = []
    if abs(float(expected["expected_unserved_Wh"]) - float(actual["expected_unserved_Wh"])) > tol:
        problems.append(f"unserved: expected {expected['expected_unserved_Wh']}, got {actual['expected_unserved_Wh']}")
    want, got = expected["expected_txprofile"], actual["expected_txprofile"]
    for key in ("chargingProfileKind", "chargingRateUnit", "duration"):
        if want.get(key) != got.get(key):
            problems.append(f"{key}: expected {want.get(key)!r}, got {got.get(key)!r}")
    if parse_time(want["startSchedule"]) != parse_time(got["startSchedule"]):
        problems.append(f"startSchedule: expected {want['startSchedule']}, got {got['startSchedule']}")
    w_periods, g_periods = want["chargingSchedulePeriod"], got["chargingSchedulePeriod"]
    if len(w_periods) != len(g_periods) or any(
        w["startPeriod"] != g["startPeriod"] or abs(float(w["limit"]) - float(g["limit"])) > tol
        for w, g in zip(w_periods, g_periods, strict=False)
    ):
        problems.append(f"periods: expected {w_periods}, got {g_periods}")
    return problems


def allocation_results(data: Mapping[str, Any]) -> dict[str, Any]:
    """Allocation and TOU vectors, keyed by vector id (the `allocate` command's output)."""
    out = {v["id"]: allocation_case(v) for v in data.get("allocation_vectors", [])}
    out.update({v["id"]: tou_case(v) for v in data.get("tou_vectors", [])})
    return out

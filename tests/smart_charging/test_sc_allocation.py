"""Site allocation: minimums, priorities, weights, hierarchy, phases, reallocation of unused power."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from chargeline.domain.smart_charging import AllocationSettings, ChargingSession, EvseAllocation, SiteNode, allocate

V = 230.0
SITE = SiteNode("site", limit_w=40_000.0)


def ac(evse: str, node: str = "site", **kw: object) -> ChargingSession:
    values: dict[str, object] = {"max_a": 32.0, "min_a": 6.0, **kw}
    return ChargingSession(evse, node, **values)  # type: ignore[arg-type]


def by_id(result: list[EvseAllocation]) -> dict[str, EvseAllocation]:
    return {r.evse_id: r for r in result}


def test_equal_share_rounded_down_to_tenth_of_an_amp() -> None:
    result = allocate([SiteNode("site", limit_w=30_000.0)], [ac("a"), ac("b")])
    assert [(r.limit_a, r.limit_w, r.number_phases, r.paused) for r in result] == [(21.7, 14973.0, 3, False)] * 2


def test_minimums_exceeding_capacity_pause_the_latest_arrivals() -> None:
    sessions = [ac(f"ev{i}") for i in range(5)]  # 5 x 4140 W minimum > 15 kW
    result = allocate([SiteNode("site", limit_w=15_000.0)], sessions)
    assert [r.paused for r in result] == [False, False, False, True, True]
    assert [r.limit_w for r in result][3:] == [0.0, 0.0]
    assert sum(r.limit_w for r in result) <= 15_000.0


def test_priority_is_admitted_first() -> None:
    sessions = [ac("early"), ac("late-vip", priority=5)]
    result = by_id(allocate([SiteNode("site", limit_w=5_000.0)], sessions))
    assert result["late-vip"].paused is False and result["early"].paused is True
    assert result["late-vip"].limit_a == 7.2


def test_weights_share_the_rest_proportionally() -> None:
    sessions = [ac("x", min_a=0.0), ac("y", min_a=0.0, weight=3.0)]
    result = by_id(allocate([SiteNode("site", limit_w=13_800.0)], sessions))
    assert (result["x"].limit_a, result["y"].limit_a) == (5.0, 15.0)


def test_capped_sessions_release_surplus_to_others() -> None:
    sessions = [ac("small", max_a=10.0), ChargingSession("dc", "site", dc=True, max_w=150_000.0, min_w=5_000.0)]
    result = by_id(allocate([SiteNode("site", limit_w=50_000.0)], sessions))
    assert result["small"].limit_w == 6900.0
    assert result["dc"].limit_w == 43_100.0 and result["dc"].limit_a is None


def test_unused_power_is_reallocated_from_measured_draw() -> None:
    lazy = ac("lazy", measured_w=(5_000.0, 5_100.0), last_limit_w=10_000.0)
    busy = ac("busy")
    result = by_id(allocate([SiteNode("site", limit_w=20_000.0)], [lazy, busy]))
    assert result["lazy"].limit_a == 8.1  # capped at 5100 W * 1.1 = 5610 W
    assert result["busy"].limit_a == 20.8  # the rest: (20000 - 5610) / 690
    nearly_full = ac("lazy", measured_w=(9_500.0, 9_600.0), last_limit_w=10_000.0)
    again = by_id(allocate([SiteNode("site", limit_w=20_000.0)], [nearly_full, busy]))
    assert again["lazy"].limit_a == again["busy"].limit_a == 14.4  # drawing its allocation: full share again
    ignored = by_id(
        allocate([SiteNode("site", limit_w=20_000.0)], [lazy, busy], AllocationSettings(demand_estimation=False))
    )
    assert ignored["lazy"].limit_a == 14.4


def test_demand_estimate_never_goes_below_minimum() -> None:
    idle = ac("idle", measured_w=(0.0, 0.0), last_limit_w=10_000.0)
    assert allocate([SITE], [idle])[0].limit_a == 6.0


def test_circuit_limit_binds_only_its_own_sessions() -> None:
    nodes = [SiteNode("site", limit_w=60_000.0), SiteNode("c1", "site", limit_a=16.0)]
    sessions = [ac("in-1", "c1"), ac("in-2", "c1"), ac("out")]
    result = by_id(allocate(nodes, sessions))
    assert result["in-1"].limit_a == result["in-2"].limit_a == 8.0
    assert result["out"].limit_a == 32.0


def test_station_limit_nested_under_circuit() -> None:
    nodes = [
        SiteNode("site", limit_w=100_000.0),
        SiteNode("c1", "site", limit_a=63.0),
        SiteNode("st1", "c1", limit_w=11_040.0),
    ]
    sessions = [ac("a", "st1"), ac("b", "st1"), ac("c", "c1")]
    result = by_id(allocate(nodes, sessions))
    assert result["a"].limit_a == result["b"].limit_a == 8.0
    assert result["c"].limit_a == 32.0


def test_per_phase_fuse_with_single_phase_evs() -> None:
    nodes = [SiteNode("site", limit_a=32.0)]
    sessions = [
        ac("three", min_a=0.0),
        ac("one-L1", phases=1, first_phase=1, min_a=0.0),
        ac("one-L2", phases=1, first_phase=2, min_a=0.0),
    ]
    result = by_id(allocate(nodes, sessions))
    # Shares are equal in W: L1 (and L2) carry 8 A of the three-phase EV plus 24 A of a single-phase EV.
    assert result["three"].limit_a == 8.0
    assert result["one-L1"].limit_a == result["one-L2"].limit_a == 24.0
    assert result["one-L1"].number_phases == 1 and result["one-L1"].limit_w == result["three"].limit_w == 5520.0


def test_non_ev_load_margin_and_dc_efficiency() -> None:
    nodes = [SiteNode("site", limit_w=50_000.0, non_ev_load_w=5_000.0, margin=0.1)]
    dc = ChargingSession("dc", "site", dc=True, max_w=100_000.0, efficiency=0.9)
    result = allocate(nodes, [dc], AllocationSettings(dc_step_w=500.0))
    assert result[0].limit_w == 36_000.0  # (45000 - 5000) * 0.9 = 36000 W at the EV


def test_external_cap_is_respected() -> None:
    capped = ac("ext", external_cap_w=6_900.0)
    assert allocate([SITE], [capped, ac("free")])[0].limit_a == 10.0


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="maximum"):
        allocate([SITE], [ChargingSession("x", "site")])
    with pytest.raises(ValueError, match="unknown"):
        allocate([SITE], [ac("x", "nowhere")])


@pytest.mark.parametrize("seed", range(8))
def test_random_sites_respect_every_constraint_and_leave_no_slack(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [SiteNode("site", limit_w=rng.uniform(50_000, 400_000), limit_a=rng.choice([None, 400.0, 250.0]))]
    for c in range(rng.randint(1, 6)):
        nodes.append(
            SiteNode(f"c{c}", "site", limit_a=rng.choice([32.0, 63.0, 125.0]), limit_w=rng.choice([None, 40_000.0]))
        )
    sessions = []
    for e in range(rng.randint(5, 60)):
        home = rng.choice([n.id for n in nodes])
        if rng.random() < 0.2:
            sessions.append(ChargingSession(f"e{e}", home, dc=True, max_w=rng.choice([50_000.0, 150_000.0]), min_w=0.0))
        else:
            sessions.append(
                ChargingSession(
                    f"e{e}",
                    home,
                    phases=rng.choice([1, 3]),
                    first_phase=rng.randint(1, 3),
                    max_a=32.0,
                    min_a=rng.choice([0.0, 6.0]),
                    priority=rng.randint(0, 2),
                    weight=rng.choice([1.0, 2.0]),
                )
            )
    result = allocate(nodes, sessions)
    parent = {n.id: n.parent for n in nodes}
    watts: dict[str, float] = defaultdict(float)
    amps: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for session, item in zip(sessions, result, strict=True):
        wires = (0, 1, 2) if session.dc else tuple((session.first_phase - 1 + k) % 3 for k in range(session.phases))
        node: str | None = session.node
        while node is not None:
            watts[node] += item.limit_w
            for wire in wires:
                amps[node][wire] += item.limit_w / (V * len(wires))
            node = parent[node]
    for n in nodes:
        if n.limit_w is not None:
            assert watts[n.id] <= n.limit_w + 1e-6
        if n.limit_a is not None:
            assert max(amps[n.id]) <= n.limit_a + 1e-6
    # Progressive filling leaves no slack: every admitted session is at its cap or behind a (nearly) full constraint.
    for session, item in zip(sessions, result, strict=True):
        if item.paused:
            continue
        cap = session.max_w if session.dc else 32.0 * V * session.phases
        step = 100.0 if session.dc else 0.1 * V * session.phases
        if item.limit_w >= (cap or 0.0) - step:
            continue
        cursor: str | None = session.node
        tight = False
        while cursor is not None and not tight:
            n = next(x for x in nodes if x.id == cursor)
            slack_w = 0.0 if n.limit_w is None else n.limit_w - watts[cursor]
            slack_a = 0.0 if n.limit_a is None else n.limit_a - max(amps[cursor])
            tight = (n.limit_w is not None and slack_w < 0.02 * n.limit_w + 2_000) or (
                n.limit_a is not None and slack_a < 0.02 * n.limit_a + 3.0
            )
            cursor = n.parent
        assert tight, (seed, session.evse_id, item)

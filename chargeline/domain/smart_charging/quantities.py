"""Limit arithmetic for the composite schedule: per-unit channels, per-phase values, A<->W.

A slice keeps a current channel (A) and a power channel (W) apart until the
very end, because the W->A conversion depends on the lowest numberPhases of
*all* contributing profiles at that instant (K01.FR.140), not on the period's own.
A value is a scalar or, when some input carries 2.1 L2/L3 values, a per-phase
triple; scalars are spread onto phases only when such a mix happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chargeline.domain.smart_charging.profiles import ChargingSchedulePeriod, OperationMode

Triple = tuple[float, float, float]
Q = float | Triple


def spread(value: Q, watts: bool, phases: int) -> Triple:
    """Scalar -> per phase: A is already per phase; W is a total, divided over the phases."""
    if isinstance(value, tuple):
        return value
    share = value / phases if watts else value
    return (share, share, share)


def combine(a: Q | None, b: Q | None, op: Callable[[float, float], float], watts: bool, na: int, nb: int) -> Q | None:
    """Apply `op` (min/max/add...) to two optional values of one channel."""
    if a is None:
        return b
    if b is None:
        return a
    if not isinstance(a, tuple) and not isinstance(b, tuple):
        return op(a, b)
    sa, sb = spread(a, watts, na), spread(b, watts, nb)
    return (op(sa[0], sb[0]), op(sa[1], sb[1]), op(sa[2], sb[2]))


def setpoint_op(current: float, other: float) -> float:
    """Combine setpoints: the first one decides the direction; keep the one closer to zero (libocpp rule)."""
    return min(current, other) if current >= 0 else max(current, other)


def add(x: float, y: float) -> float:
    return x + y


def _triple(base: float | None, l2: float | None, l3: float | None) -> Q | None:
    if base is None:
        return None
    if l2 is None and l3 is None:
        return base
    return (base, base if l2 is None else l2, base if l3 is None else l3)


@dataclass(frozen=True, slots=True)
class Mix:
    """Limits of one slice: a/w = limit per channel, d* = dischargeLimit, s* = setpoint, n = numberPhases."""

    a: Q | None = None
    w: Q | None = None
    da: Q | None = None
    dw: Q | None = None
    sa: Q | None = None
    sw: Q | None = None
    n: int | None = None
    phased: bool = False  # some value is per phase (L1/L2/L3)

    @property
    def has_limit(self) -> bool:
        return self.a is not None or self.w is not None


def mix_from_period(period: ChargingSchedulePeriod, watts: bool, ac: bool) -> Mix | None:
    """A period's contribution; None when it limits nothing (2.1 period without limit/setpoint)."""
    limit = _triple(period.limit, period.limit_l2, period.limit_l3)
    discharge = _triple(period.discharge_limit, period.discharge_limit_l2, period.discharge_limit_l3)
    setpoint = _triple(period.setpoint, period.setpoint_l2, period.setpoint_l3)
    if limit is None and period.operation_mode is OperationMode.IDLE:
        limit, discharge = 0.0, 0.0
    if limit is None and discharge is None and setpoint is None:
        return None
    phases = period.number_phases if period.number_phases is not None else (3 if ac else None)
    phased = any(isinstance(v, tuple) for v in (limit, discharge, setpoint))
    if watts:
        return Mix(w=limit, dw=discharge, sw=setpoint, n=phases, phased=phased)
    return Mix(a=limit, da=discharge, sa=setpoint, n=phases, phased=phased)


# Fast-path helpers of `lowest`: only called when neither mix is `phased`, i.e. on scalars.


def _lower(x: Q | None, y: Q | None) -> Q | None:
    if x is None:
        return y
    if y is None:
        return x
    return x if x <= y else y  # type: ignore[operator]


def _higher(x: Q | None, y: Q | None) -> Q | None:
    if x is None:
        return y
    if y is None:
        return x
    return x if x >= y else y  # type: ignore[operator]


def _setpoint(x: Q | None, y: Q | None) -> Q | None:
    if x is None:
        return y
    if y is None:
        return x
    return setpoint_op(x, y)  # type: ignore[arg-type]


def min_phases(x: int | None, y: int | None) -> int | None:
    if x is None:
        return y
    if y is None:
        return x
    return min(x, y)


def lowest(mixes: Iterable[Mix | None], default_phases: int) -> Mix | None:
    """Most restrictive combination (min limit, dischargeLimit closest to 0, lowest numberPhases).

    The first mix with a setpoint decides its direction, so callers pass the
    transaction layer first.
    """
    present = [mix for mix in mixes if mix is not None]
    if len(present) < 2:
        return present[0] if present else None
    result = present[0]
    for mix in present[1:]:
        if not (result.phased or mix.phased):
            result = Mix(
                a=_lower(result.a, mix.a),
                w=_lower(result.w, mix.w),
                da=_higher(result.da, mix.da),
                dw=_higher(result.dw, mix.dw),
                sa=_setpoint(result.sa, mix.sa),
                sw=_setpoint(result.sw, mix.sw),
                n=min_phases(result.n, mix.n),
            )
            continue
        na = result.n or default_phases
        nb = mix.n or default_phases
        result = Mix(
            a=combine(result.a, mix.a, min, False, na, nb),
            w=combine(result.w, mix.w, min, True, na, nb),
            da=combine(result.da, mix.da, max, False, na, nb),
            dw=combine(result.dw, mix.dw, max, True, na, nb),
            sa=combine(result.sa, mix.sa, setpoint_op, False, na, nb),
            sw=combine(result.sw, mix.sw, setpoint_op, True, na, nb),
            n=min_phases(result.n, mix.n),
            phased=True,
        )
    return result


def summed(mixes: Iterable[Mix | None], default_a: float, default_w: float, default_phases: int) -> Mix:
    """evse 0 total (libocpp semantics): sum per channel, the default standing in for an unlimited EVSE.

    numberPhases is the largest of the EVSEs; setpoints and discharge limits are
    per-EVSE commands and are not summed.
    """
    a: Q | None = 0.0
    w: Q | None = 0.0
    n: int | None = None
    for mix in mixes:
        m = mix or Mix()
        na, nb = n or default_phases, m.n or default_phases
        a = combine(a, default_a if m.a is None else m.a, add, False, na, nb)
        w = combine(w, default_w if m.w is None else m.w, add, True, na, nb)
        if m.n is not None:
            n = m.n if n is None else max(n, m.n)
    return Mix(a=a, w=w, n=n, phased=isinstance(a, tuple) or isinstance(w, tuple))


def to_unit(
    a: Q | None, w: Q | None, watts: bool, voltage: float, phases: int, op: Callable[[float, float], float]
) -> Q | None:
    """Fold the A and W channels into one value of the requested unit with `op` (min for limits).

    A scalar converts with voltage x phases (W is a total, A is per phase); a
    per-phase value converts with the voltage only.
    """
    if watts:
        return combine(w, None if a is None else _scale(a, voltage, voltage * phases), op, True, phases, phases)
    return combine(a, None if w is None else _scale(w, 1 / voltage, 1 / (voltage * phases)), op, False, phases, phases)


def _scale(value: Q, per_phase: float, total: float) -> Q:
    if isinstance(value, tuple):
        return (value[0] * per_phase, value[1] * per_phase, value[2] * per_phase)
    return value * total

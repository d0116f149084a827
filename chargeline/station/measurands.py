"""Measurands this station's meter can sample (used by both configuration stores)."""

from __future__ import annotations

ENERGY = "Energy.Active.Import.Register"
ENERGY_INTERVAL = "Energy.Active.Import.Interval"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
CURRENT_OFFERED = "Current.Offered"
POWER_OFFERED = "Power.Offered"
VOLTAGE = "Voltage"
SOC = "SoC"
TEMPERATURE = "Temperature"

AC_MEASURANDS = (ENERGY, ENERGY_INTERVAL, POWER, CURRENT, CURRENT_OFFERED, POWER_OFFERED, VOLTAGE, TEMPERATURE)
DC_MEASURANDS = (*AC_MEASURANDS, SOC)


def supported(dc: bool) -> tuple[str, ...]:
    return DC_MEASURANDS if dc else AC_MEASURANDS

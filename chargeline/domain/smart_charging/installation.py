"""What a station's profile store does after validation: replace, clear, purge (brief §2 lifecycle).

Pure functions over a sequence of InstalledProfile, so the station stack and
the CSMS shadow store apply identical replacement rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chargeline.domain.smart_charging.profiles import ChargingProfilePurpose, InstalledProfile, OcppVersion

P = ChargingProfilePurpose
#: Never removed by a CSMS ClearChargingProfile (K10; LocalGeneration in 2.1).
_EXTERNAL = frozenset({P.EXTERNAL_CONSTRAINTS, P.LOCAL_GENERATION})


def install(
    installed: Sequence[InstalledProfile], new: InstalledProfile, version: OcppVersion
) -> list[InstalledProfile]:
    """Store an accepted profile: same id replaces; 1.6 also replaces the same (connector, purpose, stackLevel)."""
    profile = new.profile

    def replaced(item: InstalledProfile) -> bool:
        if item.profile.id == profile.id:
            return True
        return (
            version is OcppVersion.V16
            and item.evse_id == new.evse_id
            and item.profile.purpose is profile.purpose
            and item.profile.stack_level == profile.stack_level
        )

    return [item for item in installed if not replaced(item)] + [new]


@dataclass(frozen=True, slots=True)
class ClearCriteria:
    """ClearChargingProfile fields (1.6 id/connectorId/purpose/stackLevel; 2.x chargingProfileId + criteria)."""

    profile_id: int | None = None
    evse_id: int | None = None
    purpose: ChargingProfilePurpose | None = None
    stack_level: int | None = None


def clear(installed: Sequence[InstalledProfile], criteria: ClearCriteria) -> tuple[list[InstalledProfile], bool]:
    """(remaining profiles, whether anything was removed -> Accepted / Unknown).

    An id wins over the other fields; no field at all clears everything the
    CSMS owns; external constraints and local generation are never cleared.
    """
    if criteria.purpose in _EXTERNAL:
        return list(installed), False

    def matches(item: InstalledProfile) -> bool:
        if item.profile.purpose in _EXTERNAL:
            return False
        if criteria.profile_id is not None:
            return item.profile.id == criteria.profile_id
        return (
            (criteria.evse_id is None or item.evse_id == criteria.evse_id)
            and (criteria.purpose is None or item.profile.purpose is criteria.purpose)
            and (criteria.stack_level is None or item.profile.stack_level == criteria.stack_level)
        )

    kept = [item for item in installed if not matches(item)]
    return kept, len(kept) != len(installed)


def end_transaction(
    installed: Sequence[InstalledProfile], evse_id: int, transaction_id: str | None
) -> list[InstalledProfile]:
    """TxProfiles die with their transaction (K02.FR.05, 1.6 §3.13.4)."""
    return [
        item
        for item in installed
        if not (
            item.profile.purpose is P.TX
            and item.evse_id == evse_id
            and (transaction_id is None or item.profile.transaction_id in (None, transaction_id))
        )
    ]

"""Profile store rules: replacement, ClearChargingProfile, transaction end."""

from __future__ import annotations

from chargeline.domain.smart_charging import ClearCriteria, OcppVersion, clear, end_transaction, install
from tests.smart_charging.helpers import K, P, on, profile

TXD = profile(1, P.TX_DEFAULT, [(0, 16)], kind=K.RELATIVE, stack=1)
TX = profile(2, P.TX, [(0, 10)], kind=K.RELATIVE, stack=1, tx="t1")
EXT = profile(-3, P.EXTERNAL_CONSTRAINTS, [(0, 20)], kind=K.RELATIVE)
STORE = [on(0, TXD), on(1, TX), on(0, EXT)]


def test_same_id_replaces_in_every_version() -> None:
    newer = on(0, profile(1, P.TX_DEFAULT, [(0, 8)], kind=K.RELATIVE, stack=4))
    for version in OcppVersion:
        result = install(STORE, newer, version)
        assert [i.profile.id for i in result].count(1) == 1 and result[-1] is newer


def test_16_also_replaces_same_connector_purpose_and_stack() -> None:
    other_id = on(0, profile(9, P.TX_DEFAULT, [(0, 8)], kind=K.RELATIVE, stack=1))
    assert [i.profile.id for i in install(STORE, other_id, OcppVersion.V16)] == [2, -3, 9]
    assert [i.profile.id for i in install(STORE, other_id, OcppVersion.V201)] == [1, 2, -3, 9]


def test_clear_by_id_criteria_and_everything() -> None:
    kept, removed = clear(STORE, ClearCriteria(profile_id=2))
    assert removed and [i.profile.id for i in kept] == [1, -3]
    kept, removed = clear(STORE, ClearCriteria(evse_id=0, purpose=P.TX_DEFAULT, stack_level=1))
    assert removed and [i.profile.id for i in kept] == [2, -3]
    kept, removed = clear(STORE, ClearCriteria(stack_level=7))
    assert not removed and kept == STORE
    kept, removed = clear(STORE, ClearCriteria())
    assert removed and [i.profile.id for i in kept] == [-3]  # external constraints are never cleared by the CSMS


def test_clearing_external_constraints_is_refused() -> None:
    assert clear(STORE, ClearCriteria(purpose=P.EXTERNAL_CONSTRAINTS)) == (STORE, False)
    assert clear(STORE, ClearCriteria(profile_id=-3)) == (STORE, False)


def test_tx_profiles_end_with_their_transaction() -> None:
    assert [i.profile.id for i in end_transaction(STORE, 1, "t1")] == [1, -3]
    assert [i.profile.id for i in end_transaction(STORE, 1, "other")] == [1, 2, -3]

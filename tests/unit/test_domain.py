"""Pure logic: authorization decisions, meter normalisation, clocks, identities, credentials."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from chargeline.domain.authorization import Token, decide, id_tag_info
from chargeline.domain.clock import format_utc, parse_station_time, plausible_time
from chargeline.domain.meter import RunningEnergy, normalise, samples_v2, samples_v16, session_energy
from chargeline.gateway.credentials import candidates, hash_password, parse_basic, verify_password
from chargeline.gateway.identity import BadIdentity, identity_from_path

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def token(**kw) -> Token:
    base = {"id_token": "T", "token_type": None, "status": "Accepted", "expires_at": None, "group_id": None}
    return Token(**{**base, **kw})


def test_authorization_rules() -> None:
    assert decide(None, NOW).status == "Invalid"
    assert decide(token(status="Blocked"), NOW).status == "Blocked"
    assert decide(token(expires_at=NOW - timedelta(seconds=1)), NOW).status == "Expired"
    assert decide(token(group_id="g", group_name="G", group_status="Blocked"), NOW).status == "Blocked"
    assert decide(token(group_id="g", group_name="G", group_expires_at=NOW), NOW).status == "Expired"
    ok = decide(token(group_id="g", group_name="G", expires_at=NOW + timedelta(days=2),
                      group_expires_at=NOW + timedelta(days=1)), NOW)
    assert ok.accepted and ok.group == "G" and ok.expires_at == NOW + timedelta(days=1)
    assert decide(token(token_type="ISO14443"), NOW, "eMAID").status == "Invalid"
    assert decide(None, NOW, "NoAuthorization").accepted
    # refusals disclose nothing else
    assert id_tag_info(decide(token(status="Blocked", group_id="g", group_name="G"), NOW), str) == {
        "status": "Blocked"}


def test_units_and_multipliers() -> None:
    assert normalise(2.5, "kWh") == (2500.0, "Wh")
    assert normalise(3.0, "kW", 1) == (30000.0, "W")
    assert normalise(230.0, "V") == (230.0, "V")
    (s,) = samples_v2({"sampledValue": [{"value": 1.5, "unitOfMeasure": {"unit": "kWh", "multiplier": 1}}]}, NOW)
    assert s.value == 15000.0 and s.measurand == "Energy.Active.Import.Register"
    signed, plain = samples_v16({"sampledValue": [{"value": "AQID", "format": "SignedData"}, {"value": "7"}]}, NOW)
    assert signed.value is None and signed.signed_data == "AQID" and plain.value == 7.0 and plain.unit == "Wh"


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_session_energy_handles_resets_and_impossible_steps() -> None:
    assert session_energy([(at(0), 1000), (at(30), 6000)]).wh == 5000
    reset = session_energy([(at(0), 90_000), (at(10), 91_000), (at(20), 500), (at(30), 1500)])
    assert reset.wh == 2500 and reset.flags == ["register_reset"]
    jump = session_energy([(at(0), 0), (at(1), 5_000_000), (at(2), 5_000_100)])
    assert jump.wh == 100 and "implausible_step" in jump.flags
    assert session_energy([(at(30), 6000), (at(0), 1000)]).wh == 5000  # order of arrival does not matter


def test_running_energy_is_session_energy_of_the_readings_as_stored() -> None:
    """Kept as readings are stored (repeats, several readings of one instant, resets, impossible
    jumps), it is what `session_energy` gives for the stored set, to the last bit; out of order, unknown."""
    rng = random.Random(7)
    for _ in range(500):
        start = (at(0), float(rng.randrange(0, 10_000)))
        running = RunningEnergy(start)
        stored: dict[tuple[datetime, str], float] = {}  # as the database keeps them: once per time and identity
        minute, sent = 0, []
        for _ in range(rng.randrange(0, 12)):
            minute += rng.choice([0, 1, 1, 5])
            value = rng.choice([start[1] + minute * 500.0, 100.0 * minute, 9e9, start[1] + minute * 333.3])
            reading = (at(minute), rng.choice(["periodic", "clock"]), value)
            batch = [reading] + ([reading] if rng.random() < 0.2 else [])  # a repeated message
            sent += batch
            running.add(batch)
            for when, key, wh in batch:
                stored.setdefault((when, key), wh)
        stop = (at(minute + rng.choice([0, 3])), float(rng.randrange(0, 90_000)))
        expected = session_energy([start, *[(when, wh) for (when, _), wh in stored.items()], stop])
        got = running.ended([], stop)
        assert got is not None and (got.wh, got.flags) == (expected.wh, expected.flags), sent
    late = RunningEnergy((at(0), 0.0))
    late.add([(at(10), "periodic", 5_000.0), (at(5), "periodic", 2_000.0)])  # an older reading after a newer one
    assert late.ended([], (at(20), 6_000.0)) is None
    assert RunningEnergy((at(0), 0.0)).ended([], (at(-1), 10.0)) is None  # a stop before the last reading


def test_clock() -> None:
    assert format_utc(datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"
    assert parse_station_time("2026-01-02T03:04:05") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_station_time("2026-01-02T04:04:05+01:00") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert plausible_time(datetime(1970, 1, 1, tzinfo=UTC), NOW) is None
    assert plausible_time(NOW + timedelta(days=2), NOW) is None
    assert plausible_time(NOW - timedelta(days=20), NOW) == NOW - timedelta(days=20)  # offline is fine


@pytest.mark.parametrize(("path", "identity"), [
    ("/ocpp/CS1", "CS1"), ("/ocpp/RDAM%20123", "RDAM 123"), ("/ocpp/a*b-c_d=e:f+g|h@i.j?x=1", "a*b-c_d=e:f+g|h@i.j")])
def test_identity_accepted(path: str, identity: str) -> None:
    assert identity_from_path(path) == identity


@pytest.mark.parametrize("path", ["/ocpp/", "/ocpp/a/b", "/ocpp/a/", "/other/a", "/ocpp/" + "x" * 49,
                                  "/ocpp/a%2Fb", "/ocpp/a%00", "/ocpp/a%2541", "/ocpp/%FF", "/ocpp/a%0A",
                                  "/ocpp/%20a"])
def test_identity_refused(path: str) -> None:
    with pytest.raises(BadIdentity):
        identity_from_path(path)


def test_password_hashes() -> None:
    stored = hash_password("s3cret-password-16")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_password(b"s3cret-password-16", stored)
    assert not verify_password(b"s3cret-password-17", stored)
    assert hash_password("x") != hash_password("x")  # salted


def test_authorization_key_forms() -> None:
    key = bytes(range(20))
    forms = candidates(key, accept_hex_key=True)
    assert key.hex().upper().encode() in forms
    assert candidates(key.hex().encode(), accept_hex_key=True)[1] == key
    assert candidates(key, accept_hex_key=False) == [key]


def test_basic_header_parsing() -> None:
    assert parse_basic("Basic Q1MxOnA6cQ==") == ("CS1", b"p:q")  # split at the first colon
    for bad in ("Bearer x", "Basic", "Basic !!!", "Basic Q1Mx"):
        with pytest.raises(ValueError):
            parse_basic(bad)

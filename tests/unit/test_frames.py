"""Each malformed frame gets the CALLERROR its version's specification names."""

from typing import Any

import orjson
import pytest

from chargeline.ocpp import frames
from chargeline.ocpp.errors import ErrorKind, code_for
from chargeline.ocpp.rpc import InboundCall, Reply, RpcSession
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion

V16, V201, V21 = OcppVersion.V16, OcppVersion.V201, OcppVersion.V21
BOOT: dict[OcppVersion, dict[str, Any]] = {
    V16: {"chargePointVendor": "V", "chargePointModel": "M"},
    V201: {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}},
    V21: {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}},
}


def session(version: OcppVersion) -> RpcSession:
    return RpcSession(version, registry_for(version), frozenset({"BootNotification", "Heartbeat"}))


def answer(version: OcppVersion, text: str) -> list:
    event = session(version).receive(text)
    assert isinstance(event, Reply), event
    return orjson.loads(event.text)


CASES = [
    # (frame, {version: (message id, code)})
    ("hello", {V16: ("-1", "FormationViolation"), V201: ("-1", "RpcFrameworkError"), V21: ("-1", "RpcFrameworkError")}),
    ('[2, "a", "Heartbeat"', {V16: ("-1", "FormationViolation"), V201: ("-1", "RpcFrameworkError")}),
    ('{"a": 1}', {V16: ("-1", "ProtocolError"), V201: ("-1", "RpcFrameworkError")}),
    ("[]", {V16: ("-1", "ProtocolError"), V201: ("-1", "RpcFrameworkError")}),
    ("[2]", {V16: ("-1", "ProtocolError"), V201: ("-1", "RpcFrameworkError")}),
    ('[2, 17, "Heartbeat", {}]', {V16: ("-1", "ProtocolError"), V201: ("-1", "RpcFrameworkError")}),
    ('[2, "", "Heartbeat", {}]', {V201: ("-1", "RpcFrameworkError")}),
    (f'[2, "{"x" * 37}", "Heartbeat", {{}}]', {V201: ("-1", "RpcFrameworkError")}),
    ('[7, "a", "Heartbeat", {}]', {V16: ("a", "ProtocolError"), V201: ("a", "MessageTypeNotSupported"),
                                   V21: ("a", "MessageTypeNotSupported")}),
    ('["2", "a", "Heartbeat", {}]', {V201: ("a", "RpcFrameworkError")}),
    ('[6, "a", "NotifyPeriodicEventStream", {}]', {V201: ("a", "MessageTypeNotSupported")}),
    ('[2, "a", "Heartbeat"]', {V16: ("a", "ProtocolError"), V201: ("a", "RpcFrameworkError")}),
    ('[2, "a", "Heartbeat", []]', {V16: ("a", "FormationViolation"), V201: ("a", "FormatViolation")}),
    ('[2, "a", "Foo", {}]', {V16: ("a", "NotImplemented"), V201: ("a", "NotImplemented"), V21: ("a", "NotImplemented")}),
    ('[2, "a", "bootnotification", {}]', {V201: ("a", "NotImplemented")}),
    ('[2, "a", "Reset", {"type": "Hard"}]', {V16: ("a", "NotSupported")}),
    ('[2, "a", "Reset", {"type": "Immediate"}]', {V201: ("a", "NotSupported")}),
    ('[2, "a", "BootNotification", {}]', {V16: ("a", "OccurenceConstraintViolation"),
                                          V201: ("a", "OccurrenceConstraintViolation")}),
    ('[2, "a", "BootNotification", {"chargePointVendor": 5, "chargePointModel": "M"}]',
     {V16: ("a", "TypeConstraintViolation")}),
    ('[2, "a", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M", "x": 1}]',
     {V16: ("a", "FormationViolation")}),
    ('[2, "a", "BootNotification", {"chargePointVendor": "%s", "chargePointModel": "M"}]' % ("V" * 21),
     {V16: ("a", "PropertyConstraintViolation")}),
    ('[2, "a", "BootNotification", {"reason": "Nope", "chargingStation": {"model": "M", "vendorName": "V"}}]',
     {V201: ("a", "PropertyConstraintViolation"), V21: ("a", "PropertyConstraintViolation")}),
    ('[2, "a", "Heartbeat", {"x": NaN}]', {V201: ("-1", "RpcFrameworkError")}),
    ("[" * 100_000, {V201: ("-1", "RpcFrameworkError")}),
    ('[2, "a", "Heartbeat", {"n": %s}]' % ("9" * 100_000), {V201: ("-1", "RpcFrameworkError")}),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_bad_frames_get_the_version_specific_callerror(text: str, expected: dict) -> None:
    for version, (message_id, code) in expected.items():
        reply = answer(version, text)
        assert reply[0] == 4
        assert reply[1] == message_id, version
        assert reply[2] == code, version
        assert isinstance(reply[3], str) and isinstance(reply[4], dict)


@pytest.mark.parametrize("version", list(OcppVersion))
def test_valid_call_is_handed_over(version: OcppVersion) -> None:
    event = session(version).receive(frames.encode_call("m1", "BootNotification", BOOT[version]))
    assert isinstance(event, InboundCall)
    assert (event.message_id, event.action) == ("m1", "BootNotification")


def test_send_frames_exist_only_in_21() -> None:
    text = ('[6, "s1", "NotifyPeriodicEventStream", {"id": 1, "pending": 0, "basetime": "2026-01-01T00:00:00Z",'
            ' "data": [{"t": 0, "v": "1"}]}]')
    event = RpcSession(V21, registry_for(V21), frozenset({"NotifyPeriodicEventStream"})).receive(text)
    assert isinstance(event, InboundCall) and event.is_send


def test_spelling_table() -> None:
    assert code_for(ErrorKind.FORMAT, V16) == "FormationViolation"
    assert code_for(ErrorKind.FORMAT, V201) == "FormatViolation"
    assert code_for(ErrorKind.OCCURRENCE_CONSTRAINT, V16) == "OccurenceConstraintViolation"
    assert code_for(ErrorKind.OCCURRENCE_CONSTRAINT, V21) == "OccurrenceConstraintViolation"


def test_encoders_round_trip() -> None:
    assert frames.decode(frames.encode_result("x", {"a": 1}), V201) == frames.CallResult("x", {"a": 1})
    err = frames.decode(frames.encode_error("x", "GenericError", "d" * 400), V201)
    assert isinstance(err, frames.CallError) and len(err.description) == 255
    cre = frames.decode(frames.encode_error("x", "FormatViolation", result_error=True), V21)
    assert isinstance(cre, frames.CallError) and cre.result_error

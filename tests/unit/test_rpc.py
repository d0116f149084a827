"""RPC state: one outstanding CALL per direction, queueing, late and unknown answers."""

import orjson
import pytest

from chargeline.ocpp import frames
from chargeline.ocpp.errors import OcppError
from chargeline.ocpp.rpc import CallCompleted, Ignored, InboundCall, Reply, RpcSession
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion

V201 = OcppVersion.V201


def make() -> RpcSession:
    return RpcSession(V201, registry_for(V201), frozenset({"Heartbeat"}))


def test_one_outstanding_call_and_a_queue() -> None:
    rpc = make()
    first = rpc.call("Reset", {"type": "Immediate"})
    second = rpc.call("ClearCache", {})
    assert rpc.is_outstanding(first) and not rpc.is_outstanding(second)
    done = rpc.receive(frames.encode_result(first.message_id, {"status": "Accepted"}))
    assert isinstance(done, CallCompleted) and done.call is first and first.result == {"status": "Accepted"}
    assert done.next_frame == second.frame and rpc.is_outstanding(second)


def test_unknown_and_late_answers_are_ignored() -> None:
    rpc = make()
    call = rpc.call("ClearCache", {})
    assert isinstance(rpc.receive(frames.encode_result("nope", {"status": "Accepted"})), Ignored)
    assert rpc.expire(call) is None  # timed out
    assert isinstance(rpc.receive(frames.encode_result(call.message_id, {"status": "Accepted"})), Ignored)
    assert isinstance(rpc.receive(frames.encode_error("other", "GenericError")), Ignored)


def test_expiring_the_outstanding_call_releases_the_next() -> None:
    rpc = make()
    first, second = rpc.call("ClearCache", {}), rpc.call("ClearCache", {})
    assert rpc.expire(first) == second.frame
    assert rpc.fail_all() == [second]


def test_invalid_answer_becomes_an_error() -> None:
    rpc = make()
    call = rpc.call("ClearCache", {})
    done = rpc.receive(frames.encode_result(call.message_id, {"status": "Maybe"}))
    assert isinstance(done, CallCompleted) and call.error is not None
    assert call.error.error_code == "PropertyConstraintViolation"


def test_call_error_answer() -> None:
    rpc = make()
    call = rpc.call("ClearCache", {})
    done = rpc.receive(frames.encode_error(call.message_id, "NotSupported", "no"))
    assert isinstance(done, CallCompleted) and call.error and call.error.error_code == "NotSupported"


def test_outgoing_payloads_are_validated() -> None:
    with pytest.raises(OcppError):
        make().call("Reset", {"type": "Sometime"})


def test_our_invalid_response_turns_into_internal_error() -> None:
    rpc = make()
    event = rpc.receive(frames.encode_call("h1", "Heartbeat", {}))
    assert isinstance(event, InboundCall)
    reply = orjson.loads(rpc.result(event, {"currentTime": 5}))
    assert reply[:3] == [4, "h1", "InternalError"]
    assert orjson.loads(rpc.result(event, {"currentTime": "2026-01-01T00:00:00Z"})) == [
        3, "h1", {"currentTime": "2026-01-01T00:00:00Z"}]


def test_lenient_session_forgives_schema_violations_but_counts_them() -> None:
    strict, lenient = make(), RpcSession(V201, registry_for(V201), frozenset({"Heartbeat"}), lenient=True)
    text = frames.encode_call("h1", "Heartbeat", {"unexpected": 1})
    assert not isinstance(strict.receive(text), InboundCall)
    assert isinstance(lenient.receive(text), InboundCall) and lenient.forgiven == 1
    unknown = lenient.receive(frames.encode_call("x", "Nope", {}))
    assert isinstance(unknown, Reply) and orjson.loads(unknown.text)[2] == "NotImplemented"

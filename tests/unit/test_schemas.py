"""The fast check (jsonschema-rs) and the detailed validator (fastjsonschema) agree on every schema."""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

import fastjsonschema
import jsonschema_rs
import pytest

from chargeline.ocpp.errors import ErrorKind, OcppError
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion


def _schemas(version: OcppVersion) -> list[tuple[str, dict[str, Any]]]:
    root = importlib.resources.files("ocpp") / version.schema_package / "schemas"
    out = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            schema = json.loads(entry.read_text(encoding="utf-8-sig"))
            schema.pop("$id", None)
            out.append((entry.name[:-5], schema))
    return out


_WRONG = {"string": 12, "integer": "12", "number": "1.5", "boolean": "yes", "array": {}, "object": []}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return dict(schema.get("definitions", {}).get(name, {}))
    return node


def _mutations(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """A minimal payload, and payloads that break one rule each: a missing field, a wrong type, an extra field."""
    props = schema.get("properties", {})
    required = schema.get("required", [])
    base: dict[str, Any] = {}
    for name in required:
        node = _resolve(schema, props.get(name, {}))
        kind = node.get("type")
        examples: dict[Any, Any] = {"string": "x", "integer": 1, "number": 1.0, "boolean": True, "array": [],
                                    "object": {}}
        base[name] = examples.get(kind, "x") if "enum" not in node else node["enum"][0]
    out: list[tuple[str, Any]] = [("the minimal payload", base)]
    for name in required:
        out.append((f"missing {name}", {k: v for k, v in base.items() if k != name}))
    for name in props:
        kind = _resolve(schema, props[name]).get("type")
        if isinstance(kind, str) and kind in _WRONG:
            out.append((f"{name} of the wrong type", {**base, name: _WRONG[kind]}))
    if schema.get("additionalProperties") is False:
        out.append(("an unknown field", {**base, "noSuchField": 1}))
    out.append(("not an object", [base]))
    return out


@pytest.mark.parametrize("version", list(OcppVersion), ids=lambda v: v.label)
def test_both_validators_reject_the_same_broken_payloads(version: OcppVersion) -> None:
    checked = 0
    for name, schema in _schemas(version):
        fast = jsonschema_rs.validator_for(schema, validate_formats=True)
        detailed = fastjsonschema.compile(schema, use_default=False)
        for what, payload in _mutations(schema):
            try:
                detailed(payload)
                detailed_ok = True
            except fastjsonschema.JsonSchemaValueException:
                detailed_ok = False
            assert fast.is_valid(payload) == detailed_ok, f"{version.label} {name}: {what}"
            checked += 1
    assert checked > 300


@pytest.mark.parametrize(("payload", "kind"), [
    ({"connectorId": 1}, ErrorKind.OCCURRENCE_CONSTRAINT),
    ({"connectorId": "1", "meterValue": []}, ErrorKind.TYPE_CONSTRAINT),
    ({"connectorId": 1, "meterValue": [{"timestamp": "yesterday", "sampledValue": [{"value": "1"}]}]},
     ErrorKind.PROPERTY_CONSTRAINT),
])
def test_a_rejected_payload_gets_the_rule_that_failed(payload: dict[str, Any], kind: ErrorKind) -> None:
    registry = registry_for(OcppVersion.V16)
    with pytest.raises(OcppError) as failure:
        registry.validate_request("MeterValues", payload)
    assert failure.value.kind is kind
    registry.validate_request("MeterValues", {"connectorId": 1, "meterValue": [
        {"timestamp": "2026-11-21T10:00:00Z", "sampledValue": [{"value": "1"}]}]})

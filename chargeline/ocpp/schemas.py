"""The official OCPP JSON schemas (shipped by the `ocpp` PyPI package), compiled once.

Every payload is checked by `jsonschema-rs` (compiled Rust validators: about a microsecond for
a MeterValues). Only a payload it rejects goes through the same schema compiled to Python by
`fastjsonschema`, which names the failing rule and path for the CALLERROR (and has the last
word, so both must reject). The fastjsonschema byte code is cached on disk (keyed by the
schemas, fastjsonschema and the interpreter), so a process start is quick.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import json
import logging
import marshal
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema_rs
import orjson

from chargeline.ocpp.errors import ErrorKind, OcppError
from chargeline.ocpp.versions import OcppVersion

log = logging.getLogger(__name__)

Validator = Callable[[Any], Any]
Check = Callable[[Any], bool]

# fastjsonschema's failing rule -> the CALLERROR it means (OCPP-J part 4, §4.2.3).
_RULE_KIND = {
    "required": ErrorKind.OCCURRENCE_CONSTRAINT,
    "type": ErrorKind.TYPE_CONSTRAINT,
    "additionalProperties": ErrorKind.FORMAT,
}


@dataclass(slots=True, frozen=True)
class ActionSchemas:
    request_ok: Check
    request: Validator
    response_ok: Check | None
    response: Validator | None  # None for 2.1 SEND messages, which have no response


class SchemaRegistry:
    """All actions of one OCPP version with their compiled request/response validators."""

    def __init__(self, version: OcppVersion, actions: dict[str, ActionSchemas]):
        self.version = version
        self._actions = actions

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self._actions)

    def knows(self, action: str) -> bool:
        return action in self._actions

    def validate_request(self, action: str, payload: dict[str, Any]) -> None:
        """Raise OcppError (NotImplemented for an unknown action, or the constraint violated)."""
        schemas = self._actions.get(action)
        if schemas is None:
            raise OcppError(ErrorKind.NOT_IMPLEMENTED, f"unknown action {action!r}")
        if not schemas.request_ok(payload):
            _run(schemas.request, payload)

    def validate_response(self, action: str, payload: dict[str, Any]) -> None:
        schemas = self._actions.get(action)
        if schemas is None or schemas.response is None or schemas.response_ok is None:
            raise OcppError(ErrorKind.NOT_IMPLEMENTED, f"no response schema for {action!r}")
        if not schemas.response_ok(payload):
            _run(schemas.response, payload)


def _run(validator: Validator, payload: dict[str, Any]) -> None:
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        kind = _RULE_KIND.get(exc.rule or "", ErrorKind.PROPERTY_CONSTRAINT)
        path = ".".join(str(p) for p in (exc.path or [])[1:]) or "payload"
        raise OcppError(kind, f"{path}: {exc.message.removeprefix('data.')}"[:255]) from None


_lock = threading.Lock()
_registries: dict[OcppVersion, SchemaRegistry] = {}


def registry_for(version: OcppVersion) -> SchemaRegistry:
    """The process-wide registry of `version`, compiled on first use."""
    registry = _registries.get(version)
    if registry is None:
        with _lock:
            registry = _registries.get(version)
            if registry is None:
                registry = _registries[version] = _build(version)
    return registry


def _schema_files(version: OcppVersion) -> dict[str, dict[str, Any]]:
    root = importlib.resources.files("ocpp") / version.schema_package / "schemas"
    files: dict[str, dict[str, Any]] = {}
    for entry in root.iterdir():
        if entry.name.endswith(".json"):
            files[entry.name[:-5]] = json.loads(entry.read_text(encoding="utf-8-sig"))
    return files


def _split(version: OcppVersion, name: str) -> tuple[str, str]:
    """Schema file stem -> (action, 'request' | 'response')."""
    if name.endswith("Response"):
        return name[: -len("Response")], "response"
    if version.is_v2 and name.endswith("Request"):
        return name[: -len("Request")], "request"
    return name, "request"


def _cache_dir() -> Path:
    base = os.environ.get("CHARGELINE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "chargeline")
    return Path(base)


def _build(version: OcppVersion) -> SchemaRegistry:
    files = _schema_files(version)
    key = hashlib.sha256(orjson.dumps(files, option=orjson.OPT_SORT_KEYS)
                         + importlib.metadata.version("fastjsonschema").encode()
                         + sys.version.encode() + b"no-defaults").hexdigest()[:16]
    cache = _cache_dir() / f"schemas-{version.schema_package}-{key}.marshal"
    codes = _load_cache(cache)
    if codes is None:
        codes = {}
        for name, schema in files.items():
            schema.pop("$id", None)  # a urn $id would make the resolver look it up
            # use_default=False: validation must never change the payload it checks
            source = fastjsonschema.compile_to_code(schema, use_default=False)
            codes[name] = compile(source, f"<ocpp schema {version.label} {name}>", "exec")
        _store_cache(cache, codes)
    validators: dict[str, dict[str, Validator]] = {}
    checks: dict[str, dict[str, Check]] = {}
    for name, code in codes.items():
        namespace: dict[str, Any] = {}
        exec(code, namespace)
        action, direction = _split(version, name)
        validators.setdefault(action, {})[direction] = namespace["validate"]
        files[name].pop("$id", None)
        checks.setdefault(action, {})[direction] = jsonschema_rs.validator_for(files[name],
                                                                               validate_formats=True).is_valid
    actions = {a: ActionSchemas(checks[a]["request"], v["request"], checks[a].get("response"), v.get("response"))
               for a, v in validators.items() if "request" in v}
    return SchemaRegistry(version, actions)


def _load_cache(path: Path) -> dict[str, Any] | None:
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def _store_cache(path: Path, codes: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(codes))
        tmp.replace(path)
    except OSError as exc:  # a read-only home only costs start-up time
        log.info("schema cache not written: %s", exc)

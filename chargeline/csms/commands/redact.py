"""Secrets and id tokens never leave the CSMS in full (security brief §3.2, §5.2).

`redact` walks any OCPP or API payload: passwords and keys become "***" (including a
configuration key or device-model variable that holds one), id tokens are masked down to
their last characters. Stored command records and everything the API returns pass through it.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

REDACTED = "***"
# field names whose value is a secret, wherever they appear
_SECRET_FIELD = re.compile(r"(password|secret|privatekey|private_key|authorizationkey|apikey|api_key|passphrase)$",
                           re.IGNORECASE)
# configuration keys / variables whose *value* is a secret (1.6 ChangeConfiguration, 2.x SetVariables, reports)
_SECRET_SETTINGS = frozenset({"authorizationkey", "basicauthpassword", "apnpassword", "vpnpassword", "vpnkey",
                              "identitypassword"})
# fields holding an id token (OCPP camelCase and the API's snake_case)
_TOKEN_FIELDS = frozenset({"idtag", "parentidtag", "idtoken", "id_token", "group_id_token", "parent_id_tag",
                           "stop_id_token", "customeridentifier", "customer_identifier"})
_VALUE_FIELDS = frozenset({"value", "attributeValue", "attribute_value"})


def mask_token(value: str) -> str:
    """`04A2B3C4D5E6` -> `********D5E6`: enough to recognise a card, not to clone it."""
    keep = 4 if len(value) >= 12 else 2 if len(value) >= 6 else 0
    return "*" * (len(value) - keep) + value[len(value) - keep:]


def _secret_setting(obj: dict[str, Any]) -> bool:
    key = obj.get("key")
    if isinstance(key, str) and key.casefold() in _SECRET_SETTINGS:
        return True
    variable = obj.get("variable")
    name = variable.get("name") if isinstance(variable, dict) else None
    return isinstance(name, str) and name.casefold() in _SECRET_SETTINGS


def _is_secret(key: str, value: Any, secret_setting: bool) -> bool:
    if value is None:
        return False
    if secret_setting and key in _VALUE_FIELDS:
        return True
    return bool(_SECRET_FIELD.search(key)) and not isinstance(value, dict | list | bool)


def redact(obj: Any) -> Any:
    if isinstance(obj, list):
        return [redact(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    secret_setting = _secret_setting(obj)
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, str) and key.casefold() in _TOKEN_FIELDS:
            out[key] = mask_token(value)
        elif _is_secret(key, value, secret_setting):
            out[key] = REDACTED
        elif secret_setting and key == "variableAttribute" and isinstance(value, list):
            out[key] = [{**a, "value": REDACTED} if isinstance(a, dict) and "value" in a else a for a in value]
        else:
            out[key] = redact(value)
    return out


_INT64 = (-(2**63), 2**63 - 1)


def json_safe(obj: Any) -> Any:
    """Integers beyond 64 bits (which JSON encoders and databases refuse) become text."""
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return obj if _INT64[0] <= obj <= _INT64[1] else str(obj)
    if isinstance(obj, list):
        return [json_safe(item) for item in obj]
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    return obj


def redact_frame(text: str) -> str:
    """A raw OCPP-J frame with its payload redacted; unparseable text is returned as it is."""
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if not isinstance(frame, list):
        return text
    return orjson.dumps(redact(frame)).decode()

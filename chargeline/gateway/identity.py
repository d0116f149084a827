"""Station identity from the connection URL (OCPP-J part 4 §3.1.1; security brief §1.5)."""

from __future__ import annotations

import string
from urllib.parse import unquote

MAX_IDENTITY_LENGTH = 48
# identifierString of the 2.x specification, plus the space its own example uses ("RDAM 123").
_ALLOWED = frozenset(string.ascii_letters + string.digits + "*-_=:+|@. ")


class BadIdentity(ValueError):
    """The path does not name a station in a form we accept (HTTP 400)."""


def identity_from_path(path: str, prefix: str = "/ocpp/") -> str:
    """`/ocpp/RDAM%20123?x=1` -> `RDAM 123`. Decoded exactly once; raises BadIdentity."""
    path = path.split("?", 1)[0]
    if not path.startswith(prefix):
        raise BadIdentity(f"path must start with {prefix}")
    encoded = path[len(prefix):]
    if not encoded or "/" in encoded:
        raise BadIdentity("path must end in exactly one station identity segment")
    try:
        identity = unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        raise BadIdentity("identity is not valid percent-encoded UTF-8") from None
    if len(identity) > MAX_IDENTITY_LENGTH:
        raise BadIdentity(f"identity longer than {MAX_IDENTITY_LENGTH} characters")
    if not set(identity) <= _ALLOWED or identity.strip() != identity:
        raise BadIdentity("identity has characters outside the OCPP identifier set")
    return identity


def station_key(identity: str) -> str:
    """The lookup key: identifierString is case-insensitive."""
    return identity.casefold()

"""Station passwords: salted scrypt hashes, constant-time comparison, never logged."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

_N, _R, _P = 1 << 14, 8, 1


def hash_password(password: bytes | str) -> str:
    secret = password.encode() if isinstance(password, str) else password
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret, salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(candidate: bytes, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(candidate, salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                              dklen=len(digest) // 2)
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def candidates(password: bytes, accept_hex_key: bool) -> list[bytes]:
    """What a station may mean by `password`: the bytes as sent, then the 1.6 AuthorizationKey forms.

    1.6 implementations disagree whether the Basic password is the key's raw bytes or its
    hex text (security brief §1.2), so with `accept_hex_key` both forms are tried.
    """
    forms = [password]
    if accept_hex_key:
        if 32 <= len(password) <= 40 and len(password) % 2 == 0:
            try:
                forms.append(binascii.unhexlify(password))
            except (binascii.Error, ValueError):
                pass
        if 16 <= len(password) <= 20:
            forms += [password.hex().upper().encode(), password.hex().encode()]
    return forms


class BadAuthorizationHeader(ValueError):
    pass


def parse_basic(header: str) -> tuple[str, bytes]:
    """`Basic base64(user:password)` -> (user, password bytes). The password may be binary."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise BadAuthorizationHeader("not HTTP Basic")
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadAuthorizationHeader("credentials are not base64") from None
    user, sep, password = raw.partition(b":")
    if not sep:
        raise BadAuthorizationHeader("credentials have no ':'")
    try:
        return user.decode(), password
    except UnicodeDecodeError:
        raise BadAuthorizationHeader("username is not UTF-8") from None

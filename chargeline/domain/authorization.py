"""Id-token authorization decisions (pure): token and group status, expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

TOKEN_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid")
# 2.x types that carry no secret to check: the station lets the EV charge freely.
FREE_TOKEN_TYPES = frozenset({"NoAuthorization"})


@dataclass(slots=True, frozen=True)
class Token:
    id_token: str
    token_type: str | None
    status: str
    expires_at: datetime | None
    group_id: str | None
    group_name: str | None = None
    group_status: str | None = None
    group_expires_at: datetime | None = None
    language: str | None = None


@dataclass(slots=True, frozen=True)
class Decision:
    status: str  # Accepted | Blocked | Expired | Invalid
    expires_at: datetime | None = None
    group: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "Accepted"


def decide(token: Token | None, now: datetime, presented_type: str | None = None) -> Decision:
    """Unknown -> Invalid; the token's own status; expired -> Expired; then the group's rules.

    Nothing about the token (group, expiry) is disclosed unless it is accepted: Authorize must
    not become an oracle for a hostile station (security brief §5.2).
    """
    if presented_type in FREE_TOKEN_TYPES:
        return Decision("Accepted")
    if token is None:
        return Decision("Invalid")
    if token.token_type and presented_type and token.token_type != presented_type:
        return Decision("Invalid")
    if token.status != "Accepted":
        return Decision(token.status)
    if token.expires_at is not None and token.expires_at <= now:
        return Decision("Expired")
    expires = token.expires_at
    if token.group_id is not None:
        if token.group_status and token.group_status != "Accepted":
            return Decision(token.group_status if token.group_status in TOKEN_STATUSES else "Blocked")
        if token.group_expires_at is not None:
            if token.group_expires_at <= now:
                return Decision("Expired")
            expires = min(expires, token.group_expires_at) if expires else token.group_expires_at
    return Decision("Accepted", expires, token.group_name)


def token_key(value: str) -> str:
    """IdToken / idTag values are case-insensitive in every version."""
    return value.casefold()


def id_tag_info(decision: Decision, fmt: Any) -> dict[str, Any]:
    """1.6 IdTagInfo."""
    info: dict[str, Any] = {"status": decision.status}
    if decision.accepted:
        if decision.expires_at:
            info["expiryDate"] = fmt(decision.expires_at)
        if decision.group:
            info["parentIdTag"] = decision.group
    return info


def id_token_info(decision: Decision, fmt: Any, language: str | None = None) -> dict[str, Any]:
    """2.x IdTokenInfo."""
    info: dict[str, Any] = {"status": decision.status}
    if decision.accepted:
        if decision.expires_at:
            info["cacheExpiryDateTime"] = fmt(decision.expires_at)
        if decision.group:
            info["groupIdToken"] = {"idToken": decision.group, "type": "Central"}
        if language:
            info["language1"] = language
    return info

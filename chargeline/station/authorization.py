"""Local authorization: the local list, the authorization cache and the offline rules.

Order (1.6 §3.5, 2.x C01-C15): with LocalPreAuthorize a token accepted by the list or the
cache starts at once; online, Authorize asks the CSMS (its answer feeds the cache); offline,
LocalAuthorizeOffline trusts the list and cache, and AllowOfflineTxForUnknownId /
OfflineTxForUnknownIdEnabled lets an unknown token charge. Both stores are persistent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chargeline.domain.clock import parse_station_time
from chargeline.station.settings import Settings
from chargeline.station.store import StationState


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    type: str = "ISO14443"  # 2.x IdTokenEnumType; 1.6 idTags have no type
    group: str | None = None

    @property
    def key(self) -> str:
        return self.value.casefold()

    def same_holder(self, other: Token | None) -> bool:
        """The same token, or one of the same group (1.6 parentIdTag, 2.x groupIdToken)."""
        if other is None:
            return False
        if self.key == other.key:
            return True
        return self.group is not None and other.group is not None and self.group.casefold() == other.group.casefold()


@dataclass(frozen=True, slots=True)
class AuthResult:
    status: str  # Accepted | Blocked | Expired | Invalid | ConcurrentTx | Unknown ...
    group: str | None = None
    source: str = "online"  # list | cache | online | offline

    @property
    def accepted(self) -> bool:
        return self.status == "Accepted"


Ask = Callable[[], Awaitable[dict[str, Any] | None]]


class Authorizer:
    """`info` dicts are neutral: {"status", "expiry" (ISO or None), "group"}."""

    def __init__(self, state: StationState, settings: Settings, clock: Callable[[], datetime]):
        self.state = state
        self.settings = settings
        self.now = clock
        self.version = int(state.get("meta", "local_list_version", 0))
        self.local = dict(state.items("local_list"))
        self.cache = dict(state.items("auth_cache"))

    # decisions -------------------------------------------------------------------------------
    def _valid(self, info: dict[str, Any] | None) -> bool:
        if info is None or info.get("status") != "Accepted":
            return False
        expiry = info.get("expiry")
        return expiry is None or parse_station_time(expiry) > self.now()

    def local_entry(self, token: Token) -> dict[str, Any] | None:
        return self.local.get(token.key) if self.settings.flag("local_list_enabled", True) else None

    def cache_entry(self, token: Token) -> dict[str, Any] | None:
        if not self.settings.flag("auth_cache_enabled", True):
            return None
        info = self.cache.get(token.key)
        if info is None:
            return None
        lifetime = self.settings.integer("auth_cache_lifetime", 0)
        if lifetime and (self.now() - parse_station_time(info["stored"])).total_seconds() > lifetime:
            return None
        return info

    async def authorize(self, token: Token, online: bool, ask: Ask) -> AuthResult:
        listed, cached = self.local_entry(token), self.cache_entry(token)
        known = listed or cached
        if self.settings.flag("local_pre_authorize") and (self._valid(listed) or self._valid(cached)):
            return AuthResult("Accepted", (known or {}).get("group"), "list" if listed else "cache")
        if online:
            info = await ask()
            if info is not None:
                self.remember(token, info)
                return AuthResult(info["status"], info.get("group"), "online")
        if self.settings.flag("local_authorize_offline", True) and known is not None:
            if self._valid(known):
                return AuthResult("Accepted", known.get("group"), "list" if listed else "cache")
            return AuthResult(known.get("status", "Invalid"), None, "list" if listed else "cache")
        if known is None and self.settings.flag("offline_unknown_id"):
            return AuthResult("Accepted", None, "offline")
        return AuthResult("Invalid", None, "offline")

    def remember(self, token: Token, info: dict[str, Any]) -> None:
        """Feed the cache from any CSMS answer carrying id-token info (1.6 §3.5.1, C10)."""
        if not self.settings.flag("auth_cache_enabled", True) or token.key in self.local:
            return
        entry = {**info, "stored": self.now().isoformat()}
        self.cache[token.key] = entry
        self.state.put("auth_cache", token.key, entry)

    def clear_cache(self) -> bool:
        if not self.settings.flag("auth_cache_enabled", True):
            return False
        self.cache.clear()
        self.state.clear("auth_cache")
        return True

    # local list (1.6 SendLocalList, 2.x D01) -----------------------------------------------
    def update_list(self, version: int, full: bool, entries: list[tuple[str, dict[str, Any] | None]],
                    max_length: int) -> str:
        """Accepted | VersionMismatch | Failed. `entries`: (token, info or None to remove)."""
        if not full and version <= self.version:
            return "VersionMismatch"
        new = {} if full else dict(self.local)
        for token, info in entries:
            if info is None:
                new.pop(token.casefold(), None)
            else:
                new[token.casefold()] = info
        if len(new) > max_length:
            return "Failed"
        self.local = new
        self.state.clear("local_list")
        for key, info in new.items():
            self.state.put("local_list", key, info)
        self.version = version
        self.state.put("meta", "local_list_version", version)
        return "Accepted"

"""Which connection currently speaks for each station (one per station, newest wins)."""

from __future__ import annotations

from collections.abc import Iterator

from chargeline.csms.context import StationSession


class ConnectionRegistry:
    def __init__(self) -> None:
        self._sessions: dict[str, StationSession] = {}

    def attach(self, session: StationSession) -> StationSession | None:
        """Make `session` current; return the one it supersedes."""
        old = self._sessions.get(session.station_id)
        self._sessions[session.station_id] = session
        return old

    def detach(self, session: StationSession) -> bool:
        """Forget `session` if it is still current (a superseded one is already replaced)."""
        if self._sessions.get(session.station_id) is session:
            del self._sessions[session.station_id]
            return True
        return False

    def get(self, station_id: str) -> StationSession | None:
        return self._sessions.get(station_id)

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[StationSession]:
        return iter(list(self._sessions.values()))

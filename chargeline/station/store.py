"""The station's non-volatile memory: one SQLite file (stdlib sqlite3, WAL).

Everything a charger keeps across a power cycle lives here: configuration values, the
local authorization list and cache, charging profiles, certificates and keys, reservations,
the running transaction and the queue of transaction messages. Many simulated stations
share one file, each under its own key, so a load test does not open thousands of files.
Writes are small and synchronous (well under a millisecond): firmware persists before it
acts, and so do we.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    station TEXT NOT NULL, ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (station, ns, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    station TEXT NOT NULL, action TEXT NOT NULL, payload BLOB NOT NULL,
    tx_ref TEXT, attempts INTEGER NOT NULL DEFAULT 0, offline INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_queue_station ON queue (station, seq);
"""


class StateDb:
    """One SQLite file shared by every station of a process."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def queued_by_station(self) -> dict[str, int]:
        """Queued transaction messages per station, in one query (cheap to poll for thousands of stations)."""
        return {station: int(n) for station, n in self.execute("SELECT station, count(*) FROM queue GROUP BY station")}

    def station(self, station_id: str) -> StationState:
        return StationState(self, station_id)


@dataclass(slots=True)
class QueuedMessage:
    seq: int
    action: str
    payload: dict[str, Any]
    tx_ref: str | None
    attempts: int
    offline: bool


class StationState:
    """The part of the file that belongs to one station."""

    def __init__(self, db: StateDb, station_id: str):
        self.db = db
        self.station_id = station_id

    # key/value ---------------------------------------------------------------------------
    def get(self, ns: str, key: str, default: Any = None) -> Any:
        rows = self.db.execute("SELECT value FROM kv WHERE station=? AND ns=? AND key=?", (self.station_id, ns, key))
        return orjson.loads(rows[0][0]) if rows else default

    def put(self, ns: str, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO kv (station, ns, key, value) VALUES (?, ?, ?, ?)",
                        (self.station_id, ns, key, orjson.dumps(value)))

    def delete(self, ns: str, key: str) -> None:
        self.db.execute("DELETE FROM kv WHERE station=? AND ns=? AND key=?", (self.station_id, ns, key))

    def items(self, ns: str) -> Iterator[tuple[str, Any]]:
        rows = self.db.execute("SELECT key, value FROM kv WHERE station=? AND ns=? ORDER BY key",
                               (self.station_id, ns))
        return ((k, orjson.loads(v)) for k, v in rows)

    def clear(self, ns: str) -> None:
        self.db.execute("DELETE FROM kv WHERE station=? AND ns=?", (self.station_id, ns))

    # transaction message queue -------------------------------------------------------------
    def push(self, action: str, payload: dict[str, Any], tx_ref: str | None, offline: bool) -> int:
        rows = self.db.execute(
            "INSERT INTO queue (station, action, payload, tx_ref, offline) VALUES (?, ?, ?, ?, ?) RETURNING seq",
            (self.station_id, action, orjson.dumps(payload), tx_ref, int(offline)))
        return int(rows[0][0])

    def head(self) -> QueuedMessage | None:
        rows = self.db.execute("SELECT seq, action, payload, tx_ref, attempts, offline FROM queue "
                               "WHERE station=? ORDER BY seq LIMIT 1", (self.station_id,))
        if not rows:
            return None
        seq, action, payload, tx_ref, attempts, offline = rows[0]
        return QueuedMessage(seq, action, orjson.loads(payload), tx_ref, attempts, bool(offline))

    def queued(self) -> list[QueuedMessage]:
        rows = self.db.execute("SELECT seq, action, payload, tx_ref, attempts, offline FROM queue "
                               "WHERE station=? ORDER BY seq", (self.station_id,))
        return [QueuedMessage(s, a, orjson.loads(p), t, n, bool(o)) for s, a, p, t, n, o in rows]

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM queue WHERE station=?", (self.station_id,))[0][0])

    def set_attempts(self, seq: int, attempts: int) -> None:
        self.db.execute("UPDATE queue SET attempts=? WHERE seq=?", (attempts, seq))

    def remove(self, seq: int) -> None:
        self.db.execute("DELETE FROM queue WHERE seq=?", (seq,))

    def wipe(self) -> None:
        """Factory reset: forget everything this station stored."""
        self.db.execute("DELETE FROM kv WHERE station=?", (self.station_id,))
        self.db.execute("DELETE FROM queue WHERE station=?", (self.station_id,))

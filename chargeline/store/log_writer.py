"""The message log's writer: a process of its own that inserts the frames the server sends it.

The log is two rows per call, and most of their cost is the index work of the inserts. Done by
a thread of the server, that work still needed the GIL to bind every row and to hand each
statement over, and the event loop waited for it (the loop was on the CPU 92 % of the time in
the closed-loop benchmark, against 95 % with this process). A process shares no GIL with the
loop.

Protocol, on the process's standard input and output: each request is a 4-byte big-endian length
and a body; each gets one JSON line back. The first request, in JSON, names the stores
(`{"database": …, "log": …, "log_level": …}`) and is answered `{"ready": true}` once the log's
table is there; every later one is a list of `FRAMES` rows (`log_store.to_wire`), answered `{"refused": n}` once
committed (n rows the store would never take, dropped and logged), or `{"error": …}` with nothing
written. The process ends when its input ends, after the request in hand; it ignores SIGINT and
SIGTERM, which reach the server's whole process group, so that the server can hand it the frames
it still holds when it stops.
"""

from __future__ import annotations

import logging
import signal
import sys
from typing import IO, Any

import orjson
from sqlalchemy.engine import Connection

from chargeline.store.log_store import from_wire, log_engine, open_log, refusals, write_rows

log = logging.getLogger(__name__)


def read_request(stream: IO[bytes]) -> bytes | None:
    """The next request's body, or None at the end of the input."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    size = int.from_bytes(head, "big")
    body = stream.read(size)
    return body if len(body) == size else None


def request_head(body: bytes) -> bytes:
    """The 4 bytes written before `body`."""
    return len(body).to_bytes(4, "big")


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer

    def reply(answer: dict[str, Any]) -> None:
        replies.write(orjson.dumps(answer) + b"\n")
        replies.flush()

    setup_body = read_request(requests)
    if setup_body is None:
        return 0
    setup = orjson.loads(setup_body)
    logging.basicConfig(level=setup.get("log_level", logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = log_engine(setup["log"])
    refused_by, dialect = refusals(engine), engine.dialect.name
    conn: Connection | None = None
    try:
        conn = engine.connect()
        open_log(conn, setup["database"], setup["log"])
    except Exception as exc:
        log.exception("message log: cannot open the store")
        reply({"error": f"cannot open the message log's store: {exc!r}"})
        return 1
    reply({"ready": True})
    while (body := read_request(requests)) is not None:
        try:
            if conn is None:
                conn = engine.connect()  # again, after a failure (a restarted PostgreSQL, say)
            reply({"refused": write_rows(conn, from_wire(body, dialect), refused_by)})
        except Exception as exc:
            _discard(conn)
            conn = None
            reply({"error": repr(exc)})
    if conn is not None:
        conn.close()
    engine.dispose()
    return 0


def _discard(conn: Connection | None) -> None:
    if conn is not None:
        try:
            conn.invalidate()
        except Exception:
            log.debug("message log: closing a failed connection", exc_info=True)


if __name__ == "__main__":
    sys.exit(main())

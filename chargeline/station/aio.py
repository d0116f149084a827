"""Cancellation that cannot get lost: the asyncio helpers the station and simulator stop with.

Python 3.11's `asyncio.wait_for` returns the result instead of raising CancelledError when the
awaited future completes in the same loop iteration as the cancel (CPython gh-86296, fixed in
3.12). `OcppPeer.call` waits for every answer with `wait_for`, so a task cancelled just as the
CSMS's answer arrives carries on as if nothing happened. With thousands of stations stopping
while answers are in flight that happens every time, and a stop that awaits the tasks it
cancelled waits forever. Hence: `call` restores the lost cancellation, and `cancel_and_wait`
cancels again whatever survived and never waits longer than its grace period.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from chargeline.net.peer import OcppPeer

log = logging.getLogger(__name__)


def raise_if_cancelled() -> None:
    """Raise the CancelledError the current task is owed (after a wait_for that swallowed it)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def call(peer: OcppPeer, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`peer.call` that never returns normally into a task that was cancelled meanwhile."""
    response = await peer.call(action, payload)
    raise_if_cancelled()
    return response


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]], grace: float = 2.0,
                          what: str = "tasks") -> set[asyncio.Task[Any]]:
    """Cancel `tasks` and wait until they end, at most `grace` seconds; returns those still running.

    A task that swallowed its cancellation is cancelled again at its next await. The caller's own
    cancellation is never suppressed.
    """
    pending = {t for t in tasks if not t.done()}
    if not pending:
        return pending
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - loop.time()
        if left <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=min(0.25, left))
    if pending:
        log.warning("%d %s still running %.1f s after being cancelled: %s", len(pending), what, grace,
                    ", ".join(sorted(t.get_name() for t in pending)[:5]))
    return pending

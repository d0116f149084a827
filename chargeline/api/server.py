"""Serving the API inside `chargeline serve`: uvicorn on the CSMS's own event loop.

The socket is bound here (so `--api-port 0` yields the chosen port at once), uvicorn's own
signal handling is left out (the CSMS owns SIGTERM/SIGINT and stops the API first), and event
streams are told to end before uvicorn waits for open connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn

from chargeline.api.app import create_app
from chargeline.api.auth import KeyCache
from chargeline.api.context import ApiContext
from chargeline.api.metrics import FrameCounter
from chargeline.api.settings import ApiSettings
from chargeline.api.webhooks import WebhookDispatcher
from chargeline.csms.app import Csms

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the CSMS handles signals and calls ApiServer.stop()


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class ApiServer:
    def __init__(self, csms: Csms):
        self.csms = csms
        self.settings = ApiSettings.load(csms.settings)
        self.frames = FrameCounter(csms.frame_counts)
        self.webhooks = WebhookDispatcher(csms, self.settings)
        self.ctx = ApiContext(csms, self.settings, KeyCache(self.settings.key_cache_ttl), self.webhooks)
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    async def start(self, host: str, port: int) -> None:
        self.csms.commands.max_queue = self.settings.max_command_queue
        await self.webhooks.start()
        self._socket = _bind(host, port)
        config = uvicorn.Config(create_app(self.ctx, self.frames), lifespan="off", log_config=None,
                                access_log=False, server_header=False, timeout_graceful_shutdown=5,
                                timeout_keep_alive=30)
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]), name="api-server")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise RuntimeError("the API server stopped during start-up")
            await asyncio.sleep(0.01)

    @property
    def port(self) -> int:
        assert self._socket is not None
        return int(self._socket.getsockname()[1])

    async def stop(self) -> None:
        """Stop accepting, end event streams, let running requests finish (at most a few seconds)."""
        self.ctx.closing.set()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.webhooks.stop()
        if self._socket is not None:
            self._socket.close()

"""`chargeline serve`: the CSMS in one process, with graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from chargeline.api.server import ApiServer
from chargeline.config import Settings
from chargeline.csms.app import Csms
from chargeline.gateway.server import Gateway
from chargeline.gc_policy import GcPolicy
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion
from chargeline.store.database import create_engine, create_sync_engine

log = logging.getLogger("chargeline")


class Service:
    """The running CSMS: storage, the OCPP endpoint, and (when present) the API."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.csms = Csms(settings, create_engine(settings.database), create_sync_engine(settings.database))
        self.gateway = Gateway(self.csms)
        self.api = ApiServer(self.csms)

    async def start(self) -> None:
        for version in OcppVersion:
            registry_for(version)  # compile every schema before the first station arrives
        await self.csms.start()
        await self.gateway.start(self.settings.host, self.settings.port)
        log.info("OCPP endpoint ws://%s:%d%s<stationId> (1.6, 2.0.1, 2.1)", self.settings.host,
                 self.gateway.port, self.settings.ocpp_path)
        await self.api.start(self.settings.host, self.settings.api_port)
        log.info("REST API http://%s:%d/api/v1/ (OpenAPI at /openapi.json)", self.settings.host, self.api.port)

    async def stop(self) -> None:
        """Stop accepting, close sessions with 1001, let in-flight work commit, then exit."""
        await self.api.stop()
        await self.gateway.close()
        await self.csms.stop()
        log.info("stopped")


async def run(settings: Settings) -> None:
    service = Service(settings)
    await service.start()
    collector = GcPolicy(sweep_every=settings.gc_sweep_interval)
    collector.start()  # many long-lived connection objects: keep them out of the collector's way
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(f"chargeline: listening on ws://{settings.host}:{service.gateway.port}{settings.ocpp_path}<stationId>",
          flush=True)
    print(f"chargeline: api on http://{settings.host}:{service.api.port}", flush=True)
    await stop.wait()
    log.info("shutting down")
    await collector.stop()
    await service.stop()


def serve(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(settings))
    else:
        uvloop.run(run(settings))

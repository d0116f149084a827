"""A 1.6 station for the dashboard tests: the `ocpp` package's ChargePoint that charges on command.

It answers RemoteStopTransaction with Accepted and then stops the session as charger firmware
does (StopTransaction, then StatusNotification Available), and answers GetCompositeSchedule
with a two-period schedule, so the dashboard's buttons and charts have a real peer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.typing import Subprotocol

from tests.e2e.stations import PASSWORD, basic

SECRET_KEY = "00112233445566778899aabbccddeeff"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Station(ChargePoint):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.transaction_id: int | None = None
        self.meter_wh = 1000
        self.stopped = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def boot(self, vendor: str = "Acme", model: str = "AC22") -> None:
        await self.call(call.BootNotification(charge_point_vendor=vendor, charge_point_model=model,
                                              firmware_version="1.2.3"))
        await self.status(0, "Available")
        await self.status(1, "Available")

    async def status(self, connector: int, status: str, error: str = "NoError") -> None:
        await self.call(call.StatusNotification(connector_id=connector, error_code=error, status=status))

    async def start_charging(self, tag: str = "TAG-OK", minutes: int = 10) -> int:
        """A session that started `minutes` ago, with a meter sample every minute since."""
        started = datetime.now(UTC) - timedelta(minutes=minutes)
        await self.call(call.Authorize(id_tag=tag))
        await self.status(1, "Preparing")
        answer = await self.call(call.StartTransaction(connector_id=1, id_tag=tag, meter_start=self.meter_wh,
                                                       timestamp=iso(started)))
        self.transaction_id = int(answer.transaction_id)
        await self.status(1, "Charging")
        for minute in range(1, minutes + 1):
            power = 7000 + (minute % 3) * 2000
            self.meter_wh += power // 60
            await self.meter(started + timedelta(minutes=minute), power)
        return self.transaction_id

    async def meter(self, at: datetime, power_w: int) -> None:
        await self.call(call.MeterValues(connector_id=1, transaction_id=self.transaction_id, meter_value=[{
            "timestamp": iso(at), "sampledValue": [
                {"value": str(self.meter_wh), "unit": "Wh", "measurand": "Energy.Active.Import.Register",
                 "context": "Sample.Periodic"},
                {"value": str(power_w), "unit": "W", "measurand": "Power.Active.Import", "context": "Sample.Periodic"},
            ]}]))

    @on("RemoteStopTransaction")
    def on_remote_stop(self, transaction_id: int, **_: Any) -> Any:
        accepted = transaction_id == self.transaction_id
        return call_result.RemoteStopTransaction(status="Accepted" if accepted else "Rejected")

    @after("RemoteStopTransaction")
    def after_remote_stop(self, transaction_id: int, **_: Any) -> None:
        if transaction_id == self.transaction_id:  # calls from a task: the reader must stay free for the answer
            task = asyncio.create_task(self._stop(transaction_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _stop(self, transaction_id: int) -> None:
        await self.status(1, "Finishing")
        await self.call(call.StopTransaction(meter_stop=self.meter_wh, timestamp=iso(datetime.now(UTC)),
                                             transaction_id=transaction_id, reason="Remote"))
        self.transaction_id = None
        await self.status(1, "Available")
        self.stopped.set()

    @on("GetConfiguration")
    def on_get_configuration(self, **_: Any) -> Any:
        return call_result.GetConfiguration(configuration_key=[
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            {"key": "AuthorizationKey", "readonly": False, "value": SECRET_KEY}])

    @on("GetCompositeSchedule")
    def on_composite(self, connector_id: int, duration: int, **_: Any) -> Any:
        return call_result.GetCompositeSchedule(
            status="Accepted", connector_id=connector_id, schedule_start=iso(datetime.now(UTC)),
            charging_schedule={"duration": duration, "chargingRateUnit": "A", "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 32.0}, {"startPeriod": duration // 2, "limit": 16.0}]})


@contextlib.asynccontextmanager
async def station(url: str, station_id: str) -> AsyncIterator[Station]:
    async with websockets.connect(url + station_id, subprotocols=[Subprotocol("ocpp1.6")],
                                  additional_headers=basic(station_id, PASSWORD)) as ws:
        cp = Station(station_id, ws, response_timeout=15)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

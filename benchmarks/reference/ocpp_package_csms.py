"""The reference for our targets: a CSMS written the usual way on the `ocpp` package.

One `ChargePoint` per connection on `websockets`, handlers registered with `@on`, payloads
validated by the package against its JSON schemas, all state in memory (no database). It answers
every action of the benchmark mix for 1.6 and 2.0.1, so that `chargeline bench --url` can
measure it on the same machine as `chargeline serve`:

    python benchmarks/reference/ocpp_package_csms.py --port 9100 &
    chargeline bench --url ws://127.0.0.1:9100/ocpp/ --stations 1000 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from websockets.typing import Subprotocol

TX_IDS = itertools.count(1)
STATE: dict[str, dict[str, Any]] = {}  # station id -> what it told us, all in memory


def now() -> str:
    return datetime.now(UTC).isoformat()


class Station16(ChargePoint16):
    @on("BootNotification")
    async def on_boot(self, charge_point_vendor: str, charge_point_model: str, **_: Any) -> Any:
        STATE[self.id] = {"model": charge_point_model, "samples": 0}
        return result16.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on("Heartbeat")
    async def on_heartbeat(self) -> Any:
        return result16.Heartbeat(current_time=now())

    @on("StatusNotification")
    async def on_status(self, connector_id: int, error_code: str, status: str, **_: Any) -> Any:
        STATE[self.id][f"connector{connector_id}"] = status
        return result16.StatusNotification()

    @on("Authorize")
    async def on_authorize(self, id_tag: str) -> Any:
        return result16.Authorize(id_tag_info={"status": "Accepted"})

    @on("StartTransaction")
    async def on_start(self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any) -> Any:
        tx = next(TX_IDS)
        STATE[self.id]["tx"] = tx
        return result16.StartTransaction(transaction_id=tx, id_tag_info={"status": "Accepted"})

    @on("StopTransaction")
    async def on_stop(self, meter_stop: int, timestamp: str, transaction_id: int, **_: Any) -> Any:
        STATE[self.id].pop("tx", None)
        return result16.StopTransaction()

    @on("MeterValues")
    async def on_meter_values(self, connector_id: int, meter_value: list[dict[str, Any]], **_: Any) -> Any:
        STATE[self.id]["samples"] += sum(len(mv["sampled_value"]) for mv in meter_value)
        return result16.MeterValues()


class Station201(ChargePoint201):
    @on("BootNotification")
    async def on_boot(self, charging_station: dict[str, Any], reason: str, **_: Any) -> Any:
        STATE[self.id] = {"model": charging_station.get("model"), "samples": 0}
        return result201.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on("Heartbeat")
    async def on_heartbeat(self) -> Any:
        return result201.Heartbeat(current_time=now())

    @on("StatusNotification")
    async def on_status(self, timestamp: str, connector_status: str, evse_id: int, connector_id: int) -> Any:
        STATE[self.id][f"evse{evse_id}/{connector_id}"] = connector_status
        return result201.StatusNotification()

    @on("Authorize")
    async def on_authorize(self, id_token: dict[str, Any], **_: Any) -> Any:
        return result201.Authorize(id_token_info={"status": "Accepted"})

    @on("TransactionEvent")
    async def on_transaction_event(self, event_type: str, timestamp: str, trigger_reason: str, seq_no: int,
                                   transaction_info: dict[str, Any], **_: Any) -> Any:
        STATE[self.id]["tx"] = transaction_info["transaction_id"] if event_type != "Ended" else None
        return result201.TransactionEvent(id_token_info={"status": "Accepted"})

    @on("MeterValues")
    async def on_meter_values(self, evse_id: int, meter_value: list[dict[str, Any]]) -> Any:
        STATE[self.id]["samples"] += sum(len(mv["sampled_value"]) for mv in meter_value)
        return result201.MeterValues()


CLASSES: dict[str, type[Station16] | type[Station201]] = {"ocpp1.6": Station16, "ocpp2.0.1": Station201}


async def on_connect(connection: Any) -> None:
    protocol = connection.subprotocol
    if protocol not in CLASSES:
        await connection.close()
        return
    station_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
    station = CLASSES[protocol](station_id, connection)
    try:
        await station.start()
    except websockets.ConnectionClosed:
        pass


async def main(host: str, port: int) -> None:
    async with websockets.serve(on_connect, host, port, subprotocols=[Subprotocol(p) for p in CLASSES],
                                compression=None, ping_interval=None, backlog=4096):
        print(f"listening on ws://{host}:{port}/ocpp/", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.host, args.port))

"""Event fan-out: each subscriber gets what it wants; an event nobody wants is never built."""

from __future__ import annotations

from chargeline.csms.events import EventHub


async def test_subscribers_get_only_the_events_they_want() -> None:
    hub = EventHub()
    assert not hub.wants("meter_values", "CP1")
    everything = hub.subscribe()
    assert hub.wants("meter_values", "CP1")
    hub.unsubscribe(everything)
    statuses = hub.subscribe(wants=lambda type_, station: type_ == "status")
    cp2 = hub.subscribe(wants=lambda type_, station: station == "CP2")
    assert not hub.wants("meter_values", "CP1") and hub.wants("meter_values", "CP2") and hub.wants("status", None)

    hub.publish("meter_values", "CP1", value=1)  # wanted by nobody
    hub.publish("status", "CP1", status="Charging")
    hub.publish("meter_values", "CP2", value=2)
    hub.publish("status", "CP2", status="Available")

    got_statuses = [statuses.get_nowait() for _ in range(statuses.qsize())]
    got_cp2 = [cp2.get_nowait() for _ in range(cp2.qsize())]
    assert [(e.type, e.station_id) for e in got_statuses] == [("status", "CP1"), ("status", "CP2")]
    assert [(e.type, e.data) for e in got_cp2] == [("meter_values", {"value": 2}), ("status", {"status": "Available"})]
    assert got_statuses[1] is got_cp2[1]  # built once, shared by every queue that takes it


async def test_a_full_queue_drops_its_oldest_event() -> None:
    hub = EventHub()
    queue = hub.subscribe(maxsize=2)
    for n in range(3):
        hub.publish("status", "CP1", n=n)
    assert [queue.get_nowait().data["n"] for _ in range(2)] == [1, 2]

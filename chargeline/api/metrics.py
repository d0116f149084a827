"""Prometheus metrics, computed from live state at scrape time (nothing to keep in sync).

Connected stations, OCPP messages by direction/type/action, command outcomes and station
answer latency, group-commit batch sizes, and the depth of every queue (database writer,
command lanes, webhook deliveries).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from chargeline.csms.commands.service import LATENCY_BUCKETS

if TYPE_CHECKING:
    from chargeline.api.webhooks import WebhookDispatcher
    from chargeline.csms.app import Csms

_TYPES = {2: "call", 3: "result", 4: "error", 5: "result_error", 6: "send"}


class FrameCounter:
    """The frames in and out, labelled for the metrics (`Csms.log_frame` counts them by raw key)."""

    def __init__(self, raw: Counter[tuple[str, int | None, str | None]]) -> None:
        self._raw = raw

    @property
    def counts(self) -> Counter[tuple[str, str, str]]:
        labelled: Counter[tuple[str, str, str]] = Counter()
        for (direction, message_type, action), count in list(self._raw.items()):
            labelled[(direction, _TYPES.get(message_type or 0, "invalid"), action or "")] += count
        return labelled


class CsmsCollector(Collector):
    def __init__(self, csms: Csms, frames: FrameCounter, webhooks: WebhookDispatcher):
        self.csms = csms
        self.frames = frames
        self.webhooks = webhooks

    def collect(self) -> Iterator[Metric]:
        csms = self.csms
        connected = GaugeMetricFamily("chargeline_stations_connected", "Stations with an open connection",
                                      labels=["ocpp_version"])
        by_version = Counter(s.version.label for s in csms.connections)
        for version in ("1.6", "2.0.1", "2.1"):
            connected.add_metric([version], by_version.get(version, 0))
        yield connected

        messages = CounterMetricFamily("chargeline_ocpp_messages", "OCPP-J frames by direction, type and action",
                                       labels=["direction", "type", "action"])
        for (direction, kind, action), count in sorted(self.frames.counts.items()):
            messages.add_metric([direction, kind, action], count)
        yield messages

        commands = csms.commands
        outcomes = CounterMetricFamily("chargeline_commands", "Commands sent to stations by operation and outcome",
                                       labels=["operation", "status"])
        for (operation, status), count in sorted(commands.outcomes.items()):
            outcomes.add_metric([operation, status], count)
        yield outcomes
        latency = HistogramMetricFamily("chargeline_command_latency_seconds",
                                        "Time from sending a CALL to the station's answer", labels=["action"])
        for action, hist in sorted(commands.latency.items()):
            buckets: list[tuple[str, float]] = [(repr(b), c) for b, c in zip(LATENCY_BUCKETS, hist.counts,
                                                                             strict=True)]
            buckets.append(("+Inf", hist.count))
            latency.add_metric([action], buckets, hist.total)
        yield latency
        yield _gauge("chargeline_commands_queued", "Commands waiting behind another call to their station",
                     commands.queue_depth)
        yield _gauge("chargeline_commands_in_flight", "Calls sent and not yet answered", commands.in_flight)

        stats = csms.writer.stats
        yield _counter("chargeline_db_batches", "Committed write batches", stats.batches)
        yield _counter("chargeline_db_batch_jobs", "Writes committed in batches", _attr(stats, "jobs", "units"))
        yield _counter("chargeline_db_batch_failures", "Batches rolled back and retried job by job",
                       stats.failed_batches)
        yield _gauge("chargeline_db_batch_size_largest", "Largest batch so far", stats.largest_batch)
        yield _counter("chargeline_db_batch_seconds", "Time spent executing and committing batches", stats.seconds)
        yield _gauge("chargeline_db_batch_seconds_slowest", "Slowest batch so far", stats.slowest_batch_s)
        recent = _attr(stats, "recent_batch_sizes", "last_batch_sizes") or []
        yield _gauge("chargeline_db_batch_size_recent_mean", "Mean size of the last 100 batches",
                     sum(recent) / len(recent) if recent else 0.0)
        yield _gauge("chargeline_db_writer_queue_depth", "Writes waiting for the next batch", csms.writer.queue_depth)
        kept = csms.message_log
        yield _gauge("chargeline_message_log_pending", "Frames waiting for the message log's next write", kept.pending)
        yield _counter("chargeline_message_log_written", "Frames written to the message log", kept.written)
        yield _counter("chargeline_message_log_dropped", "Frames the message log's store did not take (refused, "
                       "or over the pending limit while it was unavailable)", kept.dropped)
        yield _counter("chargeline_message_log_writer_starts", "Starts of the message log's writer process "
                       "(more than one: it ended and was started again)", kept.writer_starts)

        yield _gauge("chargeline_webhook_deliveries_pending", "Webhook deliveries waiting or retrying",
                     self.webhooks.pending)
        yield _counter("chargeline_webhook_deliveries_delivered", "Webhook deliveries accepted by the receiver",
                       self.webhooks.delivered)
        yield _counter("chargeline_webhook_attempts_failed", "Webhook attempts that failed",
                       self.webhooks.failed_attempts)


def _attr(obj: Any, *names: str) -> Any:
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    return 0


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def build_registry(csms: Csms, frames: FrameCounter, webhooks: WebhookDispatcher) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CsmsCollector(csms, frames, webhooks))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)

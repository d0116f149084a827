"""UTC time helpers: the engine works in integer epoch seconds, messages carry RFC 3339 text."""

from __future__ import annotations

from datetime import UTC, datetime

from chargeline.domain.clock import parse_station_time


def parse_time(value: str | datetime) -> datetime:
    """Aware UTC datetime; text without an offset is UTC (OCPP fixtures often omit it)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return parse_station_time(value)


def format_time(moment: datetime) -> str:
    """`2025-06-10T12:00:00Z`; milliseconds only when the instant has them."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def epoch(moment: datetime) -> int:
    """Whole seconds since 1970 (floored), the resolution of startPeriod offsets."""
    return int(moment.timestamp() // 1)


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)

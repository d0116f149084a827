"""Time: always timezone-aware UTC inside; a station's clock is data, not truth."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_utc(moment: datetime) -> str:
    """RFC 3339 with a `Z`, millisecond precision (what stations parse best)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_station_time(text: str) -> datetime:
    """Parse a station timestamp. A time without an offset is taken as UTC (FIELD-NOTES: Clocks)."""
    value = datetime.fromisoformat(text.replace("z", "Z"))
    zone = value.tzinfo
    if zone is UTC:  # "Z" or "+00:00": the usual case, already what is kept inside
        return value
    return value.replace(tzinfo=UTC) if zone is None else value.astimezone(UTC)


def skew_seconds(station_time: datetime, received_at: datetime) -> float:
    """How far the station's clock is ahead (+) or behind (-) ours, for a message sent just now."""
    return (station_time - received_at).total_seconds()


EARLIEST_PLAUSIBLE = datetime(2015, 1, 1, tzinfo=UTC)


def plausible_time(station_time: datetime, received_at: datetime) -> datetime | None:
    """None when a station timestamp cannot be right (a 1970 clock, or a day in the future).

    Offline messages are legitimately old, so only the impossible is rejected; the caller
    then uses the received time and flags the record.
    """
    if station_time < EARLIEST_PLAUSIBLE or (station_time - received_at).total_seconds() > 86400:
        return None
    return station_time

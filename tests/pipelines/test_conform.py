"""Typing a batch's text columns: ISO-8601 date-times with a zone become timestamps, anything
else stays text, and a known timestamp column keeps its unreadable values in a text variant."""

from __future__ import annotations

import datetime as dt

import polars as pl
from dlt.common.normalizers.naming.snake_case import NamingConvention

from pipelines.conform import Known, conform
from pipelines.frames import Table

NAMING = NamingConvention()


def _typed(columns: dict[str, list], known: Known | None = None) -> tuple[pl.DataFrame, Known]:
    known = known or Known()
    frame, _, _ = conform(Table("things", pl.DataFrame(columns)), NAMING, known)
    return frame, known


def test_iso_date_times_with_a_zone_are_timestamps_and_other_text_stays_text() -> None:
    frame, known = _typed({
        "seen_at": [None, "2024-05-01T10:00:00.123Z", "2024-05-02 08:30:00+02:00"],
        "name": ["Ada", None, "2024-05-01T10:00:00Z"],  # begins as text: text
        "kickoff": ["2024-05-01 was the kickoff", None, None],  # begins like a date
        "local": ["2024-05-01T10:00:00", None, None],  # no zone
    })  # fmt: skip
    types = known.table("things")
    assert types == {"seen_at": "timestamp", "name": "text", "kickoff": "text", "local": "text"}
    utc = dt.UTC
    assert frame["seen_at"].to_list() == [
        None, dt.datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=utc),
        dt.datetime(2024, 5, 2, 6, 30, tzinfo=utc),
    ]  # fmt: skip
    assert frame["name"].to_list() == ["Ada", None, "2024-05-01T10:00:00Z"]


def test_a_known_timestamp_column_keeps_unreadable_values_in_a_text_variant() -> None:
    _, known = _typed({"seen_at": ["2024-05-01T10:00:00Z"]})
    frame, known = _typed({"seen_at": ["soon", "2024-05-03T00:00:00Z"]}, known)
    assert known.table("things")["seen_at__v_text"] == "text"
    assert frame["seen_at__v_text"].to_list() == ["soon", None]
    assert frame["seen_at"].to_list()[1] == dt.datetime(2024, 5, 3, tzinfo=dt.UTC)

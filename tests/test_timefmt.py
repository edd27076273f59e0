"""Times as people read them, the same in the CLI, the app and the report."""

from datetime import UTC, datetime, timedelta

from tracker.timefmt import age, local_time, parse_time

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _ago(**kw) -> str:
    return (NOW - timedelta(**kw)).isoformat()


def test_age_in_words():
    assert age(_ago(seconds=3), NOW) == "just now"
    assert age(_ago(seconds=42), NOW) == "42 s ago"
    assert age(_ago(minutes=35), NOW) == "35 min ago"
    assert age(_ago(hours=3, minutes=5), NOW) == "3 h 5 min ago"
    assert age(_ago(days=4), NOW) == "4 days ago"
    assert age(_ago(seconds=-90), NOW) == "in the future (clock skew?)"
    assert age(None, NOW, missing="never") == "never"
    assert age("not a time", NOW) == "—"


def test_parse_and_local_time():
    assert parse_time("2026-11-29T12:00:00") == NOW  # naive times are UTC
    assert parse_time("garbage") is None
    assert local_time("2026-11-29T12:00:00.000+00:00", "%H:%M") == "12:00"  # tests run in UTC
    assert local_time(None) == "—"

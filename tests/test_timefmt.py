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


def test_one_human_format_in_the_chosen_zone(monkeypatch):
    from tracker import timefmt

    winter = "2026-12-01T19:41:07.123+00:00"
    # TZ wins; the format is ISO date order and a 24-hour clock, never 12-01 alone.
    monkeypatch.setenv("TZ", "Europe/Copenhagen")
    assert timefmt.local_time(winter) == "2026-12-01 20:41"
    assert timefmt.clock(winter) == "20:41:07"
    monkeypatch.setenv("TZ", "UTC")
    assert timefmt.local_time(winter) == "2026-12-01 19:41"
    # No TZ: the system zone, unless it was never chosen (none, or Debian's Etc/UTC default).
    monkeypatch.delenv("TZ")
    monkeypatch.setattr(timefmt, "_system_zone_name", lambda: "Etc/UTC")
    assert timefmt.local_time(winter) == "2026-12-01 20:41"
    monkeypatch.setattr(timefmt, "_system_zone_name", lambda: None)
    assert timefmt.local_time("2026-07-01T10:00:00+00:00") == "2026-07-01 12:00"  # summer time
    monkeypatch.setattr(timefmt, "_system_zone_name", lambda: "America/New_York")
    assert timefmt.zone() is None  # the C library's local zone, whatever it is
    # JSON and CSV keep ISO 8601 with the offset.
    assert timefmt.iso(winter) == "2026-12-01T19:41:07.123+00:00"


def test_cli_prints_local_times_where_json_keeps_iso(run_tracker):
    from zoneinfo import ZoneInfo

    from tests.conftest import SAMPLE_CSV

    env = {"TZ": "Europe/Copenhagen"}
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    run_tracker("scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed")
    import json

    (event,) = json.loads(run_tracker("history", "EKS-PAS-001", "--json", env=env).stdout)
    assert event["at"].endswith("+00:00")
    text = run_tracker("history", "EKS-PAS-001", env=env).stdout
    copenhagen = parse_time(event["at"]).astimezone(ZoneInfo("Europe/Copenhagen"))
    assert f"  {copenhagen:%Y-%m-%d %H:%M}  scan" in text

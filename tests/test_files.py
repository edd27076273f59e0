"""Atomic writes: a failed write leaves the old file as it was and no temporary file behind."""

import pytest

from tracker.files import replaced_atomically, write_text_atomically


def test_write_replaces_whole_file_readable_by_others(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    write_text_atomically(target, "new æøå\n")
    assert target.read_text(encoding="utf-8") == "new æøå\n"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "labels.pdf"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replaced_atomically(target) as tmp:
        tmp.write_bytes(b"half a PD")
        raise RuntimeError("printer on fire")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["labels.pdf"]

import pytest

from league.audit import audit_entries, record_change, who_is_editing
from league.db import LeagueError, open_db, writing


def test_a_change_and_its_audit_entry_are_one_transaction(tmp_path):
    db = open_db(tmp_path / "league.db")
    with pytest.raises(RuntimeError):
        record_change(db, "ada", "racer edit", "racer", 1, before={"name": "a"}, after={"name": "b"})
    with pytest.raises(ZeroDivisionError):
        with writing(db):
            record_change(db, "ada", "racer edit", "racer", 1, before={"name": "a"}, after={"name": "b"})
            1 / 0
    assert audit_entries(db) == []
    with writing(db):
        record_change(db, "ada", "lap edit", "raceday_lap", "12/3", before={"time_ms": 9000},
                      after={"time_ms": 9100}, reason="  mistyped  ")
        record_change(db, "bo", "session delete", "raceday_session", 12, before={"racer": "x"})
    first, second = audit_entries(db)[::-1]
    assert (first["who"], first["entity_id"], first["before"], first["after"], first["reason"]) == \
        ("ada", "12/3", {"time_ms": 9000}, {"time_ms": 9100}, "mistyped")
    assert second["after"] is None and second["reason"] is None
    assert [e["action"] for e in audit_entries(db, entity="raceday_lap")] == ["lap edit"]


def test_the_editor_is_named(monkeypatch):
    monkeypatch.setenv("TRACKSIDE_USER", "marshal")
    assert who_is_editing() == "marshal" and who_is_editing(" ada ") == "ada"
    with pytest.raises(LeagueError, match="--by"):
        who_is_editing("x" * 65)

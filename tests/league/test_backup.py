"""``trackside backup`` / ``trackside restore``: a whole home into one archive and back into an empty home."""

import io
import json
import sqlite3
import tarfile

import pytest
from click.testing import CliRunner

from gui.cli import main
from league.backup import MANIFEST, BackupError, backup_home, restore_home

CUP = "workshop_loop_cup"

SHOW = [  # every list/show/standings command whose output must survive the round trip
    ("model", "list"), ("model", "list", "--json"), ("model", "show", "mine", "--json"),
    ("tracks", "list", "--json"),
    ("league", "racer", "list"), ("league", "racer", "list", "--json"),
    ("league", "season", "list", "--json"), ("league", "season", "standings", "autumn"),
    ("league", "season", "standings", "autumn", "--json"),
    ("league", "race", "list"), ("league", "race", "list", "--json"), ("league", "race", "show", "cup-1", "--json"),
    ("league", "standings", "cup-1"), ("league", "standings", "cup-1", "--json"),
    ("raceday", "event", "list", "--json"), ("raceday", "event", "show", "friday", "--json"),
    ("raceday", "queue", "list", "friday", "--json"),
    ("raceday", "leaderboard", "friday"), ("raceday", "leaderboard", "friday", "--json"),
    ("export", "laps", "cup-1", "--format", "csv"),
]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


def refused(*args, match):
    result = run(*args)
    assert result.exit_code == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0], result.stderr
    return lines[0]


@pytest.fixture
def league_home(trackside_home):
    """A home with a cloned model, an imported track, a league race with a submission and a race-day event."""
    ok("model", "clone", "standard", "mine")
    track = trackside_home / "my_oval.npy"
    from sim.library import load_track

    load_track("practice_oval").save(track)
    ok("tracks", "import", track, "--name", "my_oval")
    track.unlink()
    ok("league", "racer", "add", "ada", "--name", "Adà L.")
    ok("league", "season", "create", "autumn")
    ok("league", "race", "create", "cup-1", "--track", CUP, "--season", "autumn", "--laps", 1)
    ok("league", "submit", "cup-1", "--racer", "ada", "--model", "mine")
    ok("raceday", "event", "create", "friday", "--track", CUP, "--length", "1:00")
    ok("raceday", "run", "friday", "--racer", "ada", "--model", "mine", "--speed", 0)
    return trackside_home


def outputs(home):
    return {" ".join(cmd): ok(*cmd).replace(str(home), "HOME") for cmd in SHOW}


@pytest.mark.slow
def test_backup_restores_into_an_empty_home_and_every_command_shows_the_same(league_home, tmp_path, monkeypatch):
    before = outputs(league_home)
    archive = tmp_path / "backup.tar.gz"
    assert "backed up" in ok("backup", "-o", archive)
    manifest = json.loads(tarfile.open(archive).extractfile(MANIFEST).read())
    paths = {f["path"] for f in manifest["files"]}
    assert "league.db" in paths and "tracks/my_oval.npy" in paths
    assert any(p.startswith("models/mine/") for p in paths) and "league-005-audit-log" in manifest["migrations"]
    assert not any(p.endswith(("-wal", "-shm")) for p in paths)

    fresh = tmp_path / "fresh-home"
    monkeypatch.setenv("TRACKSIDE_HOME", str(fresh))
    assert "restored" in ok("restore", archive)
    after = outputs(fresh)
    assert after == before
    assert "Adà" in after["league standings cup-1"] and "Adà" in after["raceday leaderboard friday"]
    refused("restore", archive, match="is not empty")


def test_backup_of_a_live_database_is_consistent_and_leaves_out_the_archive_itself(trackside_home):
    from league.db import open_db, writing

    db = open_db()
    with writing(db):
        db.conn.execute("INSERT INTO racers (alias, display_name, created) VALUES ('zoe', 'Zoe', '2026-01-01')")
    # The writer still holds its connection (WAL): the committed row is in the -wal file, not yet in league.db.
    archive = trackside_home / "inside.tar.gz"
    manifest = backup_home(archive)
    assert [f["path"] for f in manifest["files"]] == ["league.db"]
    with tarfile.open(archive) as tar:
        data = tar.extractfile("league.db").read()
    copy = trackside_home.parent / "copy.db"
    copy.write_bytes(data)
    assert sqlite3.connect(copy).execute("SELECT alias FROM racers").fetchall() == [("zoe",)]


def _archive(path, manifest, files):
    """A hand-made archive: ``manifest`` then ``files`` (name -> bytes, or a TarInfo for odd members)."""
    with tarfile.open(path, "w:gz") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for name, content in files.items():
            if isinstance(content, tarfile.TarInfo):
                tar.addfile(content)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def _entry(name, content):
    import hashlib

    return {"path": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}


def _manifest(files, migrations=()):
    return {"format": "trackside-backup", "format_version": 1, "trackside_version": "9.9", "created": "now",
            "migrations": list(migrations), "files": files}


def test_restore_refuses_newer_databases_escaping_paths_and_damaged_archives(trackside_home, tmp_path):
    target = tmp_path / "empty"
    newer = _archive(tmp_path / "newer.tar.gz", _manifest([], ["league-001-tables", "league-999-future"]), {})
    with pytest.raises(BackupError, match="made by a newer Trackside .*upgrade first"):
        restore_home(newer, target)

    evil = b"x"
    escape = _archive(tmp_path / "escape.tar.gz", _manifest([_entry("../evil", evil)]), {"../evil": evil})
    with pytest.raises(BackupError, match="outside the home"):
        restore_home(escape, target)
    assert not (tmp_path / "evil").exists()
    link = tarfile.TarInfo("models/link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with pytest.raises(BackupError, match="not a plain file"):
        restore_home(_archive(tmp_path / "link.tar.gz", _manifest([]), {"models/link": link}), target)

    changed = _archive(tmp_path / "changed.tar.gz", _manifest([_entry("tracks/a.npy", b"old")]),
                       {"tracks/a.npy": b"new"})
    with pytest.raises(BackupError, match="does not match the manifest"):
        restore_home(changed, target)
    missing = _archive(tmp_path / "missing.tar.gz", _manifest([_entry("tracks/a.npy", b"a")]), {})
    with pytest.raises(BackupError, match="missing"):
        restore_home(missing, target)
    assert list(target.iterdir()) == []  # every refusal left the home empty

    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    assert "not a readable Trackside backup" in refused("restore", tmp_path / "junk.tar.gz", match="junk.tar.gz")
    refused("restore", tmp_path / "nope.tar.gz", match="no such backup file")
    nothing = _archive(tmp_path / "nothing.tar.gz", _manifest([]), {})
    restore_home(nothing, tmp_path / "still-empty")  # a backup of an empty home restores to an empty home
    assert list((tmp_path / "still-empty").iterdir()) == []
    good = _archive(tmp_path / "good.tar.gz", _manifest([_entry("tracks/a.npy", b"a")], ["league-001-tables"]),
                    {"tracks/a.npy": b"a"})
    restore_home(good, target)
    assert (target / "tracks" / "a.npy").read_bytes() == b"a" and sorted(p.name for p in target.iterdir()) == ["tracks"]

"""A league database that cannot be used (damaged, not SQLite, read-only, full) gives every
league and race-day command, read-only ones too, one line that names the file and says what
to do, and the app opens anyway with that line on the page. The file itself is left as it was."""

import os
import sqlite3
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from gui.cli import main

READ_COMMANDS = (("league", "standings", "X"), ("league", "racer", "list"), ("raceday", "event", "list"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def one_line(result, *needles) -> str:
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def make_league(home: Path) -> bytes:
    """A league with one racer, all of it in ``league.db`` (the write-ahead log folded in)."""
    assert run("league", "racer", "add", "bob").exit_code == 0
    conn = sqlite3.connect(home / "league.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return (home / "league.db").read_bytes()


@pytest.mark.parametrize("damage", ["random bytes", "cut to 1000 bytes", "empty page-less header"])
def test_a_damaged_database_gives_one_line_that_says_how_to_restore(trackside_home, damage):
    db = trackside_home / "league.db"
    if damage == "random bytes":
        db.write_bytes(os.urandom(3000))
    elif damage == "cut to 1000 bytes":
        db.write_bytes(make_league(trackside_home)[:1000])
        for extra in ("league.db-wal", "league.db-shm"):
            (trackside_home / extra).unlink(missing_ok=True)
    else:
        db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 84)
    before = db.read_bytes()
    for cmd in READ_COMMANDS + (("league", "racer", "add", "alice"),):
        line = one_line(run(*cmd), str(db), "damaged", "move it aside", "backup")
        assert len(line) < 400
    assert db.read_bytes() == before  # nothing written into it


@pytest.fixture
def tmpfs(tmp_path):
    """A small filesystem of our own (needs root and a mount the system allows)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("needs root and mount(8) to make a small filesystem")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a tmpfs: {made.stderr.decode().strip()}")
    views = []
    yield mnt, views
    for path in [*views, mnt]:
        subprocess.run(["umount", "-l", str(path)], check=False)


def read_only_view(tmpfs) -> Path:
    """The same files through a read-only bind mount: a home the user cannot write."""
    mnt, views = tmpfs
    view = mnt.parent / "ro"
    view.mkdir()
    assert subprocess.run(["mount", "--bind", str(mnt), str(view)]).returncode == 0
    views.append(view)
    assert subprocess.run(["mount", "-o", "remount,bind,ro", str(view)]).returncode == 0
    return view


def test_a_read_only_home_gives_one_line_naming_the_file(tmpfs, monkeypatch):
    mnt, _ = tmpfs
    monkeypatch.setenv("TRACKSIDE_HOME", str(mnt))
    before = make_league(mnt)
    (mnt / "league.db-wal").unlink(missing_ok=True)
    (mnt / "league.db-shm").unlink(missing_ok=True)
    home = read_only_view(tmpfs)
    monkeypatch.setenv("TRACKSIDE_HOME", str(home))
    for cmd in READ_COMMANDS + (("league", "racer", "add", "alice"),):
        one_line(run(*cmd), str(home / "league.db"))
    assert (home / "league.db").read_bytes() == before


def test_an_empty_read_only_home_gives_one_line_naming_the_file(tmpfs, monkeypatch):
    home = read_only_view(tmpfs)
    monkeypatch.setenv("TRACKSIDE_HOME", str(home))
    for cmd in READ_COMMANDS:
        one_line(run(*cmd), str(home / "league.db"), "TRACKSIDE_HOME")


def test_a_full_disk_gives_one_line_and_keeps_the_league(tmpfs, monkeypatch):
    tmpfs, _ = tmpfs
    monkeypatch.setenv("TRACKSIDE_HOME", str(tmpfs))
    make_league(tmpfs)
    fill(tmpfs / "filler")
    for i in range(40):  # a few writes may still fit in the database's free pages
        result = run("league", "racer", "add", f"racer{i:02d}", "--name", "x" * 60)
        if result.exit_code:
            break
    line = one_line(result, str(tmpfs / "league.db"))
    assert "full" in line
    (tmpfs / "filler").unlink()
    listed = run("league", "racer", "list")
    assert listed.exit_code == 0 and "bob" in listed.stdout


def fill(path: Path) -> None:
    """Take every free block of the filesystem ``path`` is on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)

"""Exports: every lap and a per-racer summary (CSV, JSON), projector leaderboards (HTML), and
hostile text neutralised in CSV and escaped in HTML."""

import csv
import io
import json
import os

import pytest

from league.db import open_db
from league.exports import (
    export_laps,
    export_leaderboard,
    export_season,
    laps_csv,
    leaderboard_html,
    summary_csv,
    summary_rows,
    to_csv,
)
from league.freeze import FrozenModel
from league.races import add_racer, create_race, record_submission
from league.seasons import create_season
from trainer.driving import LapResult

FROZEN = FrozenModel("a" * 64, "m", "final", 2)
EVIL = "=HYPERLINK(\"http://x\",\"y\")"


def laps(*times, offs=()):
    offs = list(offs) + [0] * (len(times) - len(offs))
    return [LapResult(i + 1, t, t is not None, 100.0 if t else 30.0, o, status="lap_complete" if t else "reversed",
                      penalty_s=2.0 * o) for i, (t, o) in enumerate(zip(times, offs))]


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def db():
    db = open_db()
    create_season(db, "spring")
    add_racer(db, "ann", "Ann Lee")
    add_racer(db, "bob", "<script>alert('bob')</script>")
    add_racer(db, "eve", EVIL)
    create_race(db, "cup1", "workshop_loop_cup", season="spring", laps=3)
    create_race(db, "cup2", "practice_oval_cup", season="spring", laps=2)
    record_submission(db, "cup1", "ann", FROZEN, laps(20.5, 19.25, 21.0, offs=(1, 0, 2)))
    record_submission(db, "cup1", "bob", FROZEN, laps(22.0, None, 20.0))
    record_submission(db, "cup1", "eve", FROZEN, laps(19.0, 19.5, 19.75))
    record_submission(db, "cup2", "ann", FROZEN, laps(15.0, 15.5))
    return db


def test_every_lap_of_a_race_with_times_in_ms_and_s(db):
    rows = read_csv(export_laps(db, "csv", race="cup1"))
    assert list(rows[0]) == ["race", "racer", "display_name", "track", "race_type", "date", "submission", "lap",
                             "time_ms", "time_s", "resets", "collisions", "valid"]
    assert len(rows) == 9
    ann = [r for r in rows if r["racer"] == "ann"]
    assert [(r["lap"], r["time_ms"], r["time_s"], r["resets"], r["valid"]) for r in ann] == [
        ("1", "20500", "20.5", "1", "true"), ("2", "19250", "19.25", "0", "true"), ("3", "21000", "21.0", "2", "true")]
    assert {r["track"] for r in rows} == {"workshop_loop_cup"} and {r["race"] for r in rows} == {"cup1"}
    assert ann[0]["date"].startswith("20") and ann[0]["date"].endswith("+00:00")
    bob_lap2 = next(r for r in rows if r["racer"] == "bob" and r["lap"] == "2")
    assert (bob_lap2["time_ms"], bob_lap2["valid"]) == ("", "false")


def test_a_season_exports_all_its_races(db):
    data = json.loads(export_laps(db, "json", season="spring"))
    assert [(r["race"], r["racer"], r["lap"]) for r in data["laps"]][-2:] == [("cup2", "ann", 1), ("cup2", "ann", 2)]
    assert len(data["laps"]) == 11
    ann = next(s for s in data["summary"] if s["racer"] == "ann")
    assert ann == {"racer": "ann", "display_name": "Ann Lee", "laps": 5, "valid_laps": 5, "fastest_ms": 15000,
                   "fastest_s": 15.0, "average_s": 18.25, "resets": 3, "collisions": 0,
                   "completion_ratio": 1.0}


def test_the_summary_counts_valid_laps_fastest_average_resets_and_completion(db):
    rows = read_csv(export_laps(db, "csv", race="cup1", summary=True))
    bob = next(r for r in rows if r["racer"] == "bob")
    assert (bob["laps"], bob["valid_laps"], bob["fastest_ms"], bob["average_s"], bob["completion_ratio"]) == \
        ("3", "2", "20000", "21.0", "0.6667")
    assert list(rows[0]) == ["racer", "display_name", "laps", "valid_laps", "fastest_ms", "fastest_s", "average_s",
                             "resets", "collisions", "completion_ratio"]


def test_csv_neutralises_text_a_spreadsheet_would_run():
    hostile = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "plain", "a=b"]
    rows = [{"race": "r", "racer": h, "display_name": h, "lap": 1, "time_ms": -5, "valid": True} for h in hostile]
    parsed = read_csv(laps_csv(rows))
    assert [r["racer"] for r in parsed] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tTAB", "'\rCR", "plain", "a=b"]
    assert parsed[0]["time_ms"] == "-5"  # numbers stay numbers
    # Header cells too: column names can come from user text (race names in a season export).
    assert to_csv([{"=x": 1}], ["=x"]).splitlines()[0] == "'=x"


def test_race_and_season_csv_exports_neutralise_racer_names(db):
    text = export_laps(db, "csv", race="cup1")
    assert "'" + EVIL.replace('"', '""') in text
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    board = read_csv(export_leaderboard(db, "cup1", "csv"))
    assert next(r for r in board if r["racer"] == "eve")["display_name"] == "'" + EVIL
    create_race(db, "=evil", "workshop_loop_cup", season="spring", laps=1)
    record_submission(db, "=evil", "ann", FROZEN, laps(30.0))
    season = read_csv(export_season(db, "spring", "csv"))
    assert "'race:=evil" not in season[0] and "race:=evil" in season[0]  # "race:" prefix makes it safe


def test_html_leaderboard_escapes_everything_and_can_refresh(db):
    page = export_leaderboard(db, "cup1", "html", refresh_s=15)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;bob&#x27;)&lt;/script&gt;" in page
    assert '<meta http-equiv="refresh" content="15">' in page
    assert "http://" not in page.split("<body>")[0]  # self-contained: no linked resources
    # rank, racer, time and gap, leader first
    body = page.split("<tbody>")[1]
    assert body.index("=HYPERLINK") < body.index("Ann Lee")  # eve (19.0) leads ann (19.25)
    assert "19.000" in body and "+0.250" in body and "leader" in body
    assert "refresh" not in export_leaderboard(db, "cup1", "html")
    evil = leaderboard_html('<img src=x onerror="1">', [{"rank": 1, "racer": "a&b", "time_s": 61.5, "gap_s": 0.0}],
                            subtitle="<i>x</i>")
    assert "<img" not in evil and "<i>" not in evil and "a&amp;b" in evil and "1:01.500" in evil
    with pytest.raises(ValueError):
        leaderboard_html("t", [], refresh_s=0)


def test_season_exports_standings_in_every_format(db):
    rows = read_csv(export_season(db, "spring", "csv"))
    assert list(rows[0])[:6] == ["rank", "racer", "display_name", "points", "races", "counted"]
    ann = next(r for r in rows if r["racer"] == "ann")
    assert (ann["points"], ann["race:cup1"], ann["race:cup2"]) == ("1987", "987", "1000")
    data = json.loads(export_season(db, "spring", "json"))
    assert data["season"] == "spring" and [r["race"] for r in data["races"]] == ["cup1", "cup2"]
    page = export_season(db, "spring", "html")
    assert "Points" in page and "1987" in page


def test_the_writers_take_race_day_rows_too():
    rows = [{"race": "Summit", "racer": "ann", "display_name": "Ann", "track": "t", "date": "2026-05-01",
             "session": 7, "lap": 1, "time_ms": 9000, "time_s": 9.0, "resets": 4, "valid": False},
            {"race": "Summit", "racer": "ann", "display_name": "Ann", "track": "t", "date": "2026-05-01",
             "session": 7, "lap": 2, "time_ms": 9500, "time_s": 9.5, "resets": 0, "valid": True}]
    header = laps_csv(rows).splitlines()[0].split(",")
    assert header.index("session") == header.index("lap") - 1
    assert summary_rows(rows) == [{"racer": "ann", "display_name": "Ann", "laps": 2, "valid_laps": 1,
                                   "fastest_ms": 9500, "fastest_s": 9.5, "average_s": 9.5, "resets": 4,
                                   "completion_ratio": 0.5}]
    assert summary_csv(rows).count("\n") == 2


# -- atomic export files ------------------------------------------------------------------------------
OLD = "rank,racer\r\n1,the good export\r\n"


def cli(*args):
    from click.testing import CliRunner

    from gui.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def refused_one_line(result, path) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], result.stderr
    assert "unchanged" in lines[0]
    return lines[0]


EXPORTS = (("export", "leaderboard", "cup1", "--format", "html"), ("export", "laps", "--season", "spring"),
           ("export", "season", "spring", "--format", "html"),
           ("raceday", "export", "day1", "--what", "leaderboard", "--format", "html"))


@pytest.fixture
def busy_league(db):
    """Enough racers for an export of many kilobytes (more than a block a truncated file frees)."""
    from league.raceday import create_event

    for i in range(40):
        add_racer(db, f"r{i:02d}", f"Racer number {i:02d} with a rather long display name")
        record_submission(db, "cup1", f"r{i:02d}", FROZEN, laps(20.0 + i / 10, 21.0, 22.0))
    create_event(db, "day1", "practice_oval")
    return db


@pytest.fixture
def small_fs(tmp_path):
    """A 64 KiB filesystem of our own (needs root and a system that lets it mount tmpfs)."""
    import shutil
    import subprocess

    mnt = tmp_path / "small"
    mnt.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("a full disk needs root and mount(8) for a small tmpfs; the file-size-limit test covers the rest")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({made.stderr.decode().strip()}); "
                    "the file-size-limit test covers the rest")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("args", EXPORTS, ids=lambda a: " ".join(a[:3]))
def test_a_full_disk_keeps_the_previous_export_intact(busy_league, small_fs, args):
    out = small_fs / "board.out"
    out.write_text(OLD, newline="")
    fd = os.open(small_fs / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    refused_one_line(cli(*args, "-o", out), out)
    assert out.read_bytes().decode() == OLD
    assert sorted(p.name for p in small_fs.iterdir()) == ["board.out", "filler"]  # no temp file left
    (small_fs / "filler").unlink()
    result = cli(*args, "-o", out)  # room again: the export replaces it
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().decode() != OLD


@pytest.mark.parametrize("args", EXPORTS, ids=lambda a: " ".join(a[:3]))
def test_a_write_that_fails_part_way_keeps_the_previous_export_intact(busy_league, tmp_path, args):
    """The failure injected without a mount: a file-size limit stops the write after 512 bytes."""
    import resource

    out = tmp_path / "board.out"
    out.write_text(OLD, newline="")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (512, hard))  # Python ignores SIGXFSZ: the write fails with EFBIG
    try:
        result = cli(*args, "-o", out)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    refused_one_line(result, out)
    assert out.read_bytes().decode() == OLD
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_export_keeps_the_file_mode_and_writes_through_a_link(tmp_path):
    from league.exports import write_export

    target = tmp_path / "real.csv"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    write_export(link, "new\r\n")
    assert link.is_symlink() and target.read_bytes() == b"new\r\n"
    assert target.stat().st_mode & 0o777 == 0o640

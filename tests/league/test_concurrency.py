"""Two processes submitting and reading at once lose nothing and never see a locked database;
a process killed in the middle of a submission leaves it wholly there or not at all."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from league.db import open_db
from league.freeze import FrozenModel
from league.races import add_racer, create_race, record_submission, standings
from trainer.driving import LapResult

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
LAPS = 3

# Each worker writes precomputed results through the same transactional write as a real
# submission (the evaluation before it runs outside any transaction and takes no lock).
WORKER = """
import json, sys, time
from pathlib import Path
from league.db import open_db
from league.freeze import FrozenModel
from league.races import record_submission, standings
from trainer.driving import LapResult

racer, barrier, seconds = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
db = open_db()
frozen = FrozenModel("c" * 64, "m", "final", 1)
ids, reads, errors, torn = [], 0, [], 0
(barrier / racer).touch()  # start together once every worker has done its imports
while len(list(barrier.iterdir())) < int(sys.argv[4]):
    time.sleep(0.005)
end = time.monotonic() + seconds
i = 0
while time.monotonic() < end:
    t = 20.0 + (i % 97) / 100
    try:
        ids.append(record_submission(db, "cup", racer, frozen, [LapResult(k + 1, t + k, True, 100.0) for k in range(3)]))
        standings(db, "cup")
        # A reader must never see a submission without all of its laps.
        torn += db.execute("SELECT COUNT(*) FROM submissions s WHERE (SELECT COUNT(*) FROM laps l "
                           "WHERE l.submission_id = s.id) != 3").fetchone()[0]
        reads += 1
    except Exception as exc:  # anything at all is a failure the parent reports
        errors.append(repr(exc))
    i += 1
print(json.dumps({"ids": ids, "reads": reads, "errors": errors, "torn": torn}))
"""

# Records one submission but stops for good between the submission row and its laps.
STALLED = """
import sys, time
from league.db import open_db
from league.freeze import FrozenModel
from league.races import record_submission
from trainer.driving import LapResult

def stall(sub_id):
    print("ROW", sub_id, flush=True)
    time.sleep(60)

db = open_db()
# A connection-local trigger stops the write between the submission row and its first lap.
db.conn.create_function("stall", 1, stall)
db.execute("CREATE TEMP TRIGGER stall_laps BEFORE INSERT ON laps BEGIN SELECT stall(NEW.submission_id); END")
record_submission(db, "cup", "ann", FrozenModel("d" * 64, "m", "final", 1),
                  [LapResult(k + 1, 20.0 + k, True, 100.0) for k in range(3)])
"""


def spawn(code, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def consistent(db):
    """No lap without its submission, no submission without all its laps, and SQLite's own checks pass."""
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    torn = db.execute("SELECT COUNT(*) FROM submissions s WHERE (SELECT COUNT(*) FROM laps l "
                      "WHERE l.submission_id = s.id) != ?", [LAPS]).fetchone()[0]
    assert torn == 0


@pytest.fixture
def db():
    db = open_db()
    add_racer(db, "ann")
    add_racer(db, "bob")
    create_race(db, "cup", "workshop_loop_cup", laps=LAPS)
    return db


def test_two_processes_submit_and_read_at_once_and_nothing_is_lost(db, tmp_path):
    procs = [spawn(WORKER, racer, tmp_path, 2.0, 2) for racer in ("ann", "bob")]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    for r in results:
        assert r["errors"] == [], r["errors"][:3]  # no "database is locked", nothing else either
        assert r["torn"] == 0
        assert len(r["ids"]) > 10 and r["reads"] == len(r["ids"]), r
    ids = results[0]["ids"] + results[1]["ids"]
    assert len(set(ids)) == len(ids)
    stored = [row[0] for row in db.execute("SELECT id FROM submissions ORDER BY id")]
    assert sorted(ids) == stored  # every acknowledged submission is there, and nothing else
    consistent(db)
    assert {r["racer"] for r in standings(db, "cup")} == {"ann", "bob"}


def test_a_process_killed_in_the_middle_of_a_submission_leaves_none_of_it(db):
    p = spawn(STALLED)
    line = p.stdout.readline()
    assert line.startswith("ROW"), p.stderr.read()
    p.kill()  # SIGKILL on POSIX: no cleanup, no rollback by the process itself
    p.wait(timeout=10)
    db = open_db()  # a fresh connection, as the next command would open
    assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM laps").fetchone()[0] == 0
    consistent(db)
    # Running it again works: the killed writer's lock died with it.
    sub = record_submission(db, "cup", "ann", FrozenModel("d" * 64, "m", "final", 1),
                            [LapResult(k + 1, 20.0 + k, True, 100.0) for k in range(LAPS)])
    assert standings(db, "cup")[0]["submission"] == sub
    consistent(db)


def test_a_busy_writer_killed_at_any_moment_leaves_whole_submissions(db, tmp_path):
    p = spawn(WORKER, "ann", tmp_path, 30.0, 1)
    deadline = time.monotonic() + 30
    while db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    p.kill()
    p.wait(timeout=10)
    db = open_db()
    n = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    assert n >= 20
    consistent(db)

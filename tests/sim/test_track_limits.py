"""Track files whose contents decide the cost: wrong units, too many or too far, huge headers.

Each is refused quickly with little memory and a message that names the problem; a broken
file already in the home is one problem line in ``tracks list``, never a failure of the list.
Peak memory is measured in a fresh process (its own ``ru_maxrss``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gui.cli import main
from sim.library import import_track, list_tracks
from sim.paths import bundled_tracks_dir, user_tracks_dir
from sim.track import MAX_WAYPOINTS, Track, TrackError

ROOT = Path(__file__).resolve().parents[2]
PEAK_KB = ("import resource\n"
           "def peak_kb():\n"
           "    # VmHWM: this program's own high-water mark (ru_maxrss also counts the parent's pages\n"
           "    # shared before exec, so a big test process would show through)\n"
           "    try:\n"
           "        for line in open('/proc/self/status'):\n"
           "            if line.startswith('VmHWM:'):\n"
           "                return int(line.split()[1])\n"
           "    except OSError:\n"
           "        pass\n"
           "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n")
PEAK_MB = 200
"""A refusal costs about what importing numpy and shapely does; the bombs asked for GBs."""


def _bundled(name="workshop_loop") -> np.ndarray:
    return np.load(bundled_tracks_dir() / f"{name}.npy", allow_pickle=False)


def _circle(n: int, radius: float, width: float = 0.8) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n)
    c = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)
    c[-1] = c[0]
    return np.hstack([c, c * (radius - width / 2) / radius, c * (radius + width / 2) / radius])


def _huge_header(path: Path, rows: int) -> Path:
    """A .npy whose header claims ``rows`` x 6 float64 followed by a few bytes of data."""
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (rows, 6)})
        fh.write(b"\0" * 480)
    return path


def _import_in_child(path: Path) -> tuple[str, float, float]:
    """Import ``path`` in a fresh process: (its one-line outcome, seconds, peak memory MB)."""
    code = (
        PEAK_KB +
        "from sim.library import import_track\n"
        "from sim.track import TrackError\n"
        "try:\n"
        f"    import_track({str(path)!r}, 'bomb')\n"
        "    out = 'imported'\n"
        "except TrackError as exc:\n"
        "    out = 'refused: ' + str(exc)\n"
        "print(out)\n"
        "print(peak_kb())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    seconds = time.monotonic() - t0
    assert done.returncode == 0, done.stderr[-2000:]
    outcome, maxrss_kb = done.stdout.strip().splitlines()[-2:]
    return outcome, seconds, int(maxrss_kb) / 1024


@pytest.mark.parametrize("case, words", [
    ("centimetres", "looks like centimetres; DeepRacer tracks are in metres"),
    ("millimetres", "looks like millimetres; DeepRacer tracks are in metres"),
    ("10 km loop", "long, more than Trackside takes (1000 m)"),
    ("1e11-row header", "100000000000 waypoints is more than Trackside takes"),
    ("1e5-row file", "100000 waypoints is more than Trackside takes"),
])
def test_track_bombs_are_refused_quickly_with_little_memory(tmp_path, case, words):
    path = tmp_path / "bomb.npy"
    if case == "centimetres":
        np.save(path, _bundled() * 100)
    elif case == "millimetres":
        np.save(path, _bundled() * 1000)
    elif case == "10 km loop":
        np.save(path, _circle(300, 1600.0))
    elif case == "1e11-row header":
        _huge_header(path, 10**11)
    else:
        np.save(path, _circle(100_000, 8.0))
    outcome, seconds, peak_mb = _import_in_child(path)
    print(f"{case}: {seconds:.1f} s, peak {peak_mb:.0f} MB: {outcome}")
    assert outcome.startswith("refused: ") and words in outcome and "bomb.npy" in outcome
    assert peak_mb < PEAK_MB  # the centimetre track took 3.1 GB, the header asked for 4.8 TB
    assert seconds < 60  # generous: a loaded machine; the centimetre track took 94 s
    assert not any(user_tracks_dir().glob("*.npy"))


def test_a_wide_detailed_track_is_refused_by_its_setup_cost():
    # 20,000 waypoints are fine on a small track, not over 50 x 50 m (seconds of set-up per load).
    with pytest.raises(TrackError, match="more detail than Trackside can set up; use at most"):
        Track(_circle(MAX_WAYPOINTS, 25.0), info=_info())


def test_a_small_detailed_track_still_loads():
    track = Track(_circle(2000, 2.0), info=_info())
    assert len(track.center) == 2000


def _info():
    from sim.track import TrackInfo

    return TrackInfo(name="t")


@pytest.mark.parametrize("case", ["object array", "text array", "npz"])
def test_files_that_are_not_plain_numbers_are_refused(tmp_path, case):
    path = tmp_path / "odd.npy"
    if case == "object array":
        np.save(path, np.array([[object()] * 6] * 4, dtype=object), allow_pickle=True)
    elif case == "text array":
        np.save(path, np.full((4, 6), "1.0"))
    else:
        with open(path, "wb") as fh:
            np.savez(fh, a=_bundled())
    with pytest.raises(TrackError, match="odd.npy"):
        import_track(path, "odd")


def test_tracks_list_shows_a_bad_file_in_the_home_as_a_problem_line():
    folder = user_tracks_dir()
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "cm_track.npy", _bundled() * 100)  # put there by hand or by an older version
    _huge_header(folder / "huge.npy", 10**11)
    t0 = time.monotonic()
    result = CliRunner().invoke(main, ["tracks", "list"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - t0 < 60  # it took 31 s per list before
    lines = result.stdout.splitlines()
    assert any(line.startswith("workshop_loop ") and "m " in line for line in lines)
    assert any(line.startswith("cm_track ") and "centimetres" in line for line in lines)
    assert any(line.startswith("huge ") and "waypoints is more than" in line for line in lines)
    rows = json.loads(CliRunner().invoke(main, ["tracks", "list", "--json"]).stdout)
    assert {r["name"] for r in rows if "problem" in r} == {"cm_track", "huge"}
    assert len(rows) == len(list_tracks())

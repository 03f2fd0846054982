"""``python -m sim.warm_up`` (run by ``make`` after installing) drives every sensor and object kind."""

import subprocess
import sys

from sim.warm_up import RUNS


def test_warm_up_runs_every_sensor_and_object_kind_and_says_so():
    assert {s for s, _ in RUNS} == {"LIDAR", "SECTOR_LIDAR", "FRONT_FACING_CAMERA", "STEREO_CAMERAS"}
    assert any(o is not None and o.n_bots for _, o in RUNS) and any(o is not None and o.n_obstacles for _, o in RUNS)
    done = subprocess.run([sys.executable, "-m", "sim.warm_up"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "simulator kernels compiled and cached in" in done.stdout

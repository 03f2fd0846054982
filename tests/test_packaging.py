"""Bundled tracks and assets travel in the wheel, and are found from an installed copy."""

import subprocess
import sys
import zipfile

import pytest

from sim.paths import assets_dir, bundled_tracks_dir

pytestmark = pytest.mark.slow


def test_the_wheel_carries_tracks_and_assets(tmp_path):
    root = bundled_tracks_dir().parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(root)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("trackside-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    tracks = {p.name for p in bundled_tracks_dir().glob("*.npy")}
    assert tracks and all(f"tracks/{name}" in names for name in tracks)
    assert all(f"tracks/{p.name}" in names for p in bundled_tracks_dir().glob("*.json"))
    rewards = {p.name for p in (assets_dir() / "reward_functions").glob("*.py")}
    assert rewards and all(f"assets/reward_functions/{name}" in names for name in rewards)
    standard = assets_dir() / "standard_model"
    for path in standard.rglob("*"):
        if path.is_file():
            assert f"assets/standard_model/{path.relative_to(standard).as_posix()}" in names

    # Installed into a fresh folder (not the checkout), the library still finds them.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import sim.paths as p; "
             "print(p.bundled_tracks_dir()); from sim.library import load_track; print(load_track('workshop_loop'))")
    out = subprocess.run([sys.executable, "-c", probe, str(target)], capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout
    assert str(target) in out and "workshop_loop" in out

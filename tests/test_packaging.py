"""Bundled tracks and assets travel in the wheel, and are found from an installed copy."""

import shutil
import subprocess
import sys
import zipfile

import pytest

from sim.paths import assets_dir, bundled_tracks_dir

pytestmark = pytest.mark.slow


def test_the_wheel_carries_tracks_and_assets(tmp_path):
    # Built from a clean copy: setuptools reuses a checkout's build/ folder, stale files included,
    # and the test should leave nothing behind in the checkout.
    src = tmp_path / "src"
    shutil.copytree(bundled_tracks_dir().parent, src, ignore=shutil.ignore_patterns(
        ".*", "build", "dist", "*.egg-info", "__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v",
                            "-w", str(tmp_path), str(src)], check=True, capture_output=True, text=True)
    # A quiet build: the first install used to print ~600 lines of "Package would be ignored"
    # for the data folders under assets/ (-v shows what setuptools says).
    assert "Warning" not in built.stdout + built.stderr, (built.stdout + built.stderr)[-3000:]
    wheel = next(tmp_path.glob("trackside-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [n for n in names if "__pycache__" in n or n.startswith("assets/screenshots/")]
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

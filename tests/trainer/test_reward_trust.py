"""Someone else's reward code never runs unasked: an archive's reward_function.py is marked
untrusted on import and nothing (train, reward validate, a clone) runs it until the user has
read and accepted it (`trackside model accept-reward`). Real CLI processes, real archives."""

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from trainer.metadata import ModelMetadata

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = '''import os, pathlib
pathlib.Path(os.environ["MARKER_DIR"], "at_import").touch()

def reward_function(params):
    pathlib.Path(os.environ["MARKER_DIR"], "at_call").touch()
    return 1.0
'''


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _cli(*args, env, stdin=""):
    return subprocess.run([sys.executable, "-m", "gui.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_an_archive_reward_runs_only_after_acceptance(tmp_path, trackside_home):
    markers = tmp_path / "markers"
    markers.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), MARKER_DIR=str(markers), TRACKSIDE_HOME=str(trackside_home))
    archive = _tar(tmp_path / "shared.tar.gz", [
        ("model_metadata.json", ModelMetadata().to_json().encode()), ("reward_function.py", HOSTILE.encode()),
        ("training_config.json", json.dumps({"track": "workshop_loop", "n_cars": 2}).encode())])
    assert _cli("model", "import", str(archive), "--name", "gift", env=env).returncode == 0
    folder = trackside_home / "models" / "gift"
    reward_file = folder / "reward_function.py"

    checks = [("reward", "validate", str(reward_file)), ("train", "gift", "--iterations", "1"),
              ("model", "clone", "gift", "gift2"), ("train", "gift2", "--iterations", "1")]
    for args in checks:
        out = _cli(*args, env=env)
        if args[0] != "model":
            assert out.returncode == 1, out
            assert "accept-reward" in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert not any(markers.iterdir()), f"{args} ran the untrusted reward"
    declined = _cli("model", "accept-reward", "gift", env=env, stdin="n\n")
    assert declined.returncode == 1 and "pathlib.Path(os.environ" in declined.stdout
    assert not any(markers.iterdir())

    assert _cli("model", "accept-reward", "gift", "--yes", env=env).returncode == 0
    assert not any(markers.iterdir()), "accepting shows the code; it does not run it"
    out = _cli("train", "gift", "--iterations", "1", env=env)
    assert out.returncode == 0, out.stderr
    assert {p.name for p in markers.iterdir()} == {"at_import", "at_call"}

    # Swapping the file on disk makes it untrusted again; the clone was never accepted.
    reward_file.write_text(HOSTILE + "# changed\n")
    for name in ("gift", "gift2"):
        out = _cli("train", name, "--iterations", "1", env=env)
        assert out.returncode == 1 and "accept-reward" in out.stderr


def test_the_users_own_reward_is_trusted_and_editing_keeps_it_so(tmp_path):
    from trainer.hyperparameters import Hyperparameters, TrainingConfig
    from trainer.model_store import ModelStore
    from trainer.reward_trust import is_trusted

    src = "def reward_function(params):\n    return 1.0\n"
    m = ModelStore().create("mine", ModelMetadata(), Hyperparameters(), src, TrainingConfig(track="workshop_loop"))
    assert is_trusted(m.path)
    (m.path / "reward_function.py").write_text(src + "# swapped\n")
    assert not is_trusted(m.path)
    m.write_reward_source(src + "# edited in the app\n")
    assert is_trusted(m.path)

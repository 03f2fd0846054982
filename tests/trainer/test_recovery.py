"""A training killed without a word (kill -9, a closed terminal) leaves a model the next
command recovers, from any front-end; a second training while one runs is refused by pid."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gui.cli import TRAIN_COMMAND

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def cli(*args, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "gui.cli", *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def finished(*args, timeout=300) -> subprocess.CompletedProcess:
    proc = cli(*args)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def wait_for(predicate, timeout=180.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def status(home: Path, name: str) -> dict:
    try:
        return json.loads((home / "models" / name / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def test_kill_9_then_train_again_resumes_with_the_checkpoints_kept(trackside_home):
    assert finished("model", "create", "crashy", "--track", "practice_oval", "--cars", "4").returncode == 0
    ckpts = trackside_home / "models" / "crashy" / "checkpoints"
    first = cli("train", "crashy", "--minutes", "1")
    try:
        wait_for(lambda: list(ckpts.glob("iteration-*.pt")) and status(trackside_home, "crashy").get("pid"))
        assert status(trackside_home, "crashy")["status"] == "training"

        second = finished("train", "crashy", "--iterations", "1")
        assert second.returncode == 1 and "Traceback" not in second.stderr
        assert f"model 'crashy' is already training (pid {first.pid})" in second.stderr

        os.kill(first.pid, signal.SIGKILL)  # no chance to write its status
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(30)
    kept = sorted(p.name for p in ckpts.glob("iteration-*.pt"))
    assert status(trackside_home, "crashy")["status"] == "training"  # what the killed process left

    # Any command recovers it: the model list shows it failed, with the reason.
    listed = json.loads(finished("model", "list", "--json").stdout)
    assert next(r for r in listed if r["name"] == "crashy")["status"] == "failed"
    assert "ended unexpectedly" in status(trackside_home, "crashy")["reason"]

    again = finished("train", "crashy", "--iterations", "1")
    assert again.returncode == 0, again.stderr
    assert "ready" in again.stdout
    after = sorted(p.name for p in ckpts.glob("iteration-*.pt"))
    assert set(kept) <= set(after) and len(after) == len(kept) + 1  # resumed after the last one
    assert status(trackside_home, "crashy")["status"] == "ready"


def test_train_recovers_a_dead_run_itself(trackside_home):
    """No other command in between: ``train`` itself finds the dead run and goes on."""
    from trainer.model_store import ModelStore

    assert finished("model", "create", "orphan", "--track", "practice_oval", "--cars", "4").returncode == 0
    model = ModelStore().get("orphan")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    model.set_status("training", pid=dead.pid)  # as a killed trainer leaves it
    result = finished("train", "orphan", "--iterations", "1")
    assert result.returncode == 0, result.stderr
    assert model.status().status == "ready" and len(model.list_checkpoints()) == 1


def test_the_app_launcher_refuses_a_second_training_by_pid():
    from trainer import training_process as tp
    from trainer.model_state import AlreadyTrainingError
    from trainer.model_store import ModelStore

    assert finished("model", "create", "busy", "--track", "practice_oval").returncode == 0
    model = ModelStore().get("busy")
    model.set_status("training", pid=os.getpid())  # a live process trains it
    with pytest.raises(AlreadyTrainingError, match=rf"model 'busy' is already training \(pid {os.getpid()}\)"):
        tp.start_training(model, TRAIN_COMMAND)
    assert tp.is_running(model)

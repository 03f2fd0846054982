"""A crash at any point of an iteration, a second trainer, a reused pid: training state stays
consistent and a model has exactly one verified owner."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from sim.actions import ActionSpace
from sim.paths import assets_dir
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_files import read_jsonl
from trainer.model_store import ModelStore, TrainingConfig
from trainer.training import train_model

REPO = Path(__file__).resolve().parents[2]
CENTRE_LINE = (assets_dir() / "reward_functions" / "centre_line.py").read_text()


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def small_model(name="m"):
    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    return ModelStore().create(name, meta, Hyperparameters(num_episodes_between_training=4, num_epochs=1),
                               CENTRE_LINE, TrainingConfig(track="practice_oval", n_cars=4))


def lines(path: Path) -> list[dict]:
    return read_jsonl(path)  # a half line left by a crash is skipped


def crash_before_index_write(model, iteration: int, *, old_checkpoint: bool) -> None:
    """What a crash between saving checkpoint ``iteration`` and indexing it leaves behind."""
    index = json.loads(model.index_path.read_text())
    index["checkpoints"] = [c for c in index["checkpoints"] if c["iteration"] != iteration]
    if index.get("best") == iteration:
        index["best"] = index["checkpoints"][-1]["iteration"]
    model.index_path.write_text(json.dumps(index))
    if old_checkpoint:  # saved before checkpoints carried their own counts
        state = torch.load(model.checkpoint_path(iteration), weights_only=True)
        for key in ("episodes", "time", "env_steps", "eval"):
            state.pop(key, None)
        torch.save(state, model.checkpoint_path(iteration))


@pytest.mark.parametrize("old_checkpoint", [False, True])
def test_resume_after_a_crash_between_checkpoint_and_index_continues_the_numbering(old_checkpoint):
    model = small_model()
    train_model(model, max_iterations=2, install_signals=False)
    before_eps, before_its = lines(model.episodes_path), lines(model.iterations_path)
    crash_before_index_write(model, 1, old_checkpoint=old_checkpoint)
    # ... and the next iteration had appended its metrics before the crash took it.
    stray = [dict(r, iteration=2) for r in before_eps if r["iteration"] == 1]
    with open(model.episodes_path, "a") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in stray) + '{"iteration": 2, "epis')  # and a half line
    with open(model.iterations_path, "a") as fh:
        fh.write(json.dumps(dict(before_its[-1], iteration=2)) + "\n")
    # Temp files of atomic writes the crash interrupted, and a model folder being built.
    old = time.time() - 7200
    leftovers = [model.checkpoints_dir / ".index.json.x1y2.tmp", model.path / ".status.json.a1b2.tmp",
                 model.path.parent / ".new-abc123"]
    for p in leftovers[:2]:
        p.write_text("half")
    leftovers[2].mkdir()
    for p in leftovers:
        os.utime(p, (old, old))
    fresh = model.path / ".status.json.live.tmp"  # a write in progress right now is left alone
    fresh.write_text("x")

    result = train_model(model, max_iterations=1, install_signals=False)
    assert result.status == "ready", result.reason

    eps, its = lines(model.episodes_path), lines(model.iterations_path)
    assert [r["episode"] for r in eps] == list(range(len(eps)))  # continuous: no restart, no repeat
    assert [r["iteration"] for r in its] == [0, 1, 2]
    assert eps[:len(before_eps)] == before_eps
    first_new = next(r for r in eps if r["iteration"] == 2)
    assert first_new["episode"] == before_its[1]["episodes"]
    assert first_new["time"] > before_its[1]["elapsed_s"]  # elapsed time goes on from the checkpoint
    assert its[2]["episodes"] == before_its[1]["episodes"] + result.episodes
    assert its[2]["elapsed_s"] > its[1]["elapsed_s"] > its[0]["elapsed_s"]
    index = [c for c in model.list_checkpoints()]
    assert [c["iteration"] for c in index] == [0, 1, 2]
    assert index[1]["episodes"] == before_its[1]["episodes"]  # the index entry was rebuilt
    assert abs(index[1]["time"] - before_its[1]["elapsed_s"]) < 5
    assert not any(p.exists() for p in leftovers)
    assert fresh.exists()


def cli(*args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "gui.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_trainings_started_together_one_trains_the_other_is_refused():
    model = small_model("duo")
    procs = [cli("train", "duo", "--minutes", "5") for _ in range(2)]
    try:
        deadline = time.monotonic() + 240
        while all(p.poll() is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.2)
        loser = next(p for p in procs if p.poll() is not None)
        winner = next(p for p in procs if p is not loser)
        _, err = loser.communicate()
        assert loser.returncode == 1 and "model 'duo' is already training" in err, err
        assert "Traceback" not in err
        # The winner may still be setting up: its stop flag is armed once it says "training".
        deadline = time.monotonic() + 180
        while model.status().status != "training" and winner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert winner.poll() is None and model.is_busy()
        (model.path / "stop_request").write_text("stop")
        _, err = winner.communicate(timeout=240)
        assert winner.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert model.status().status == "ready" and not model.is_busy()
    eps = lines(model.episodes_path)
    assert [r["episode"] for r in eps] == list(range(len(eps)))


HOLD = """
import sys, time
from trainer.model_store import ModelStore
lock = ModelStore().get(sys.argv[1]).claim_training()
print("held", flush=True)
time.sleep(120)
"""


def test_a_trainer_holding_the_lock_keeps_others_out_before_it_writes_its_status():
    model = small_model("held")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, "held"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert model.status().status == "draft"  # the holder is still starting up
        second = cli("train", "held", "--iterations", "1")
        _, err = second.communicate(timeout=240)
        assert second.returncode == 1 and "model 'held' is already training" in err, err
    finally:
        holder.kill()
        holder.wait()
    result = train_model(model, max_iterations=1, install_signals=False)  # the OS dropped the dead holder's lock
    assert result.status == "ready"


def test_a_reused_pid_neither_keeps_the_model_busy_nor_gets_killed():
    from trainer import training_process as tp

    model = small_model("reused")
    stranger = subprocess.Popen(["sleep", "60"])  # an unrelated program that got the old trainer's pid
    try:
        st = json.loads(model.status_path.read_text())
        model.status_path.write_text(json.dumps(dict(st, status="training", pid=stranger.pid)))
        assert not model.is_busy()
        assert model.status().status == "failed" and "ended unexpectedly" in model.status().reason
        model.status_path.write_text(json.dumps(dict(st, status="training", pid=stranger.pid, pid_started=1)))
        assert not tp.is_running(model)
        tp.kill_training(model, grace_s=0.5)
        time.sleep(0.3)
        assert stranger.poll() is None  # never signalled
    finally:
        stranger.kill()
        stranger.wait()


def test_the_trainer_records_its_start_time_and_a_live_owner_stays_busy():
    model = small_model("live")
    model.set_status("training", pid=os.getpid())
    st = model.status()
    assert st.status == "training" and st.pid_started is not None and model.is_busy()

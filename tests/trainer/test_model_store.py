"""Model folders: layout, status rules, checkpoints, crash safety, clone, the standard model."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

import sim.paths
from sim.actions import ActionSpace
from trainer import model_files
from trainer.hyperparameters import Hyperparameters, TrainingConfigError
from trainer.metadata import ModelMetadata
from trainer.model_store import (
    READ_ONLY_MESSAGE,
    ModelStore,
    ModelStoreError,
    ReadOnlyModelError,
    StatusError,
    TrainingConfig,
)

REPO = Path(__file__).resolve().parents[2]
REWARD = "def reward_function(params):\n    return 1.0\n"


def make(store, name="alpha", space=None, **config):
    meta = ModelMetadata(space or ActionSpace.from_console(3.0, 3, 30.0, 5))
    return store.create(name, meta, Hyperparameters(), REWARD, TrainingConfig(**config))


def weights(value=1.0):
    return {"policy.weight": torch.full((3, 2), value), "step": 7, "note": "plain values are fine"}


def test_create_lays_out_a_deepracer_style_folder():
    store = ModelStore()
    m = make(store, track="reinvent_base", n_cars=2)
    root = sim.paths.home() / "models" / "alpha"
    assert m.path == root
    for rel in ("model/model_metadata.json", "ip/hyperparameters.json", "reward_function.py",
                "training_config.json", "status.json"):
        assert (root / rel).is_file(), rel
    for rel in ("checkpoints", "metrics", "logs", "training-simtrace"):
        assert (root / rel).is_dir(), rel
    assert json.loads((root / "model/model_metadata.json").read_text())["action_space_type"] == "discrete"
    assert m.status().status == "draft" and m.training_config().n_cars == 2
    [info] = [i for i in store.list() if not i.read_only]
    assert (info.name, info.status, info.track, info.sensor, info.n_actions) == \
        ("alpha", "draft", "reinvent_base", "FRONT_FACING_CAMERA", 15)
    assert info.best_lap_s is None and info.created and not info.read_only
    assert not [p for p in (sim.paths.home() / "models").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("name, words", [("", "must be 1-64"), ("a b", "must be 1-64"), ("../x", "must be 1-64"),
                                         ("x" * 65, "must be 1-64"), ("standard", "reserved"),
                                         ("ALPHA", "already exists")])
def test_names_refused(name, words):
    store = ModelStore()
    make(store)
    with pytest.raises(ModelStoreError, match=words):
        make(store, name)


def test_training_config_validation_names_the_field():
    with pytest.raises(TrainingConfigError, match="training_config.n_cars"):
        TrainingConfig(n_cars=0)
    with pytest.raises(TrainingConfigError, match="training_config.target_progress"):
        TrainingConfig(target_progress=150)
    with pytest.raises(TrainingConfigError, match=r"unknown key\(s\) \['speed'\]"):
        TrainingConfig.from_dict({"speed": 3})


def test_status_transitions():
    m = make(ModelStore())
    for bad in ("ready", "stopping", "failed", "draft"):
        with pytest.raises(StatusError, match=f"cannot go from draft to {bad}"):
            m.set_status(bad)
    m.set_status("training", pid=os.getpid())
    assert m.status().pid == os.getpid()
    with pytest.raises(StatusError, match="training to draft"):
        m.set_status("draft")
    m.set_status("stopping")
    assert m.status().pid == os.getpid()  # still the same process while it stops
    m.set_status("ready", "stopped by user")
    st = m.status()
    assert (st.status, st.reason, st.pid) == ("ready", "stopped by user", None)
    for bad in ("draft", "stopping", "failed"):
        with pytest.raises(StatusError):
            m.set_status(bad)
    m.set_status("training")
    m.fail("reward function raised ZeroDivisionError: division by zero", step=12,
           params={"speed": 1.23456789, "waypoints": [(0, 0)] * 100, "is_left_of_center": True})
    st = m.status()
    assert st.status == "failed" and "ZeroDivisionError" in st.reason
    assert st.detail["step"] == 12
    assert st.detail["params"] == {"speed": "1.235", "waypoints": "[100 items]", "is_left_of_center": "True"}
    m.set_status("training")
    m.fail("again", params=st.detail["params"])  # summarising a summary changes nothing
    assert m.status().detail["params"] == st.detail["params"]
    with pytest.raises(StatusError, match="failed to ready"):
        m.set_status("ready")
    m.set_status("training")  # retry after fixing the reward
    with pytest.raises(StatusError, match="unknown status"):
        m.set_status("paused")


def test_busy_model_refuses_changes_and_recover_marks_dead_training_failed():
    store = ModelStore()
    m = make(store)
    m.set_status("training", pid=os.getpid())
    assert m.is_busy()
    for change in (lambda: m.write_hyperparameters(Hyperparameters(lr=0.001)),
                   lambda: m.write_reward_source(REWARD), lambda: store.delete("alpha"),
                   lambda: store.rename("alpha", "beta")):
        with pytest.raises(ModelStoreError, match="is training; stop it first"):
            change()
    assert m.recover().status == "training"  # the process is alive
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    m.set_status("stopping", pid=dead.pid)
    assert not m.is_busy()
    st = m.recover()
    assert st.status == "failed" and "ended unexpectedly" in st.reason


def test_action_space_fixed_after_training():
    m = make(ModelStore())
    m.write_metadata(ModelMetadata(sensor=["LIDAR"]))  # a draft may still change
    assert m.metadata().sensor == ["LIDAR"]
    m.set_status("training")
    m.set_status("ready")
    with pytest.raises(ModelStoreError, match="action space and sensor are fixed"):
        m.write_metadata(ModelMetadata())


def test_checkpoints_best_final_latest():
    m = make(ModelStore())
    m.set_status("training")
    m.write_checkpoint(0, weights(0), {"episodes": 20, "time": 30.0,
                                       "eval": {"progress": 40.0, "laps_completed": 0, "best_lap_s": None}})
    m.write_checkpoint(1, weights(1), {"episodes": 40, "time": 61.0,
                                       "eval": {"progress": 100.0, "laps_completed": 3, "best_lap_s": 12.5,
                                                "first_lap_s": 13.25}})
    m.write_checkpoint(2, weights(2), {"episodes": 60, "time": 90.0,
                                       "eval": {"progress": 80.0, "laps_completed": 1, "best_lap_s": 11.9,
                                                "first_lap_s": 11.9}})
    assert [c["iteration"] for c in m.list_checkpoints()] == [0, 1, 2]
    assert (m.checkpoints_dir / "iteration-0002.pt").is_file()
    assert m.load_checkpoint("best")["policy.weight"][0, 0] == 1
    assert m.load_checkpoint("latest")["policy.weight"][0, 0] == 2
    assert m.load_checkpoint(0)["step"] == 7
    with pytest.raises(ModelStoreError, match="no final checkpoint"):
        m.load_checkpoint("final")
    assert m.pick_checkpoint() == "best"
    # The model's best lap: the standing-start lap of the checkpoint evaluations drive (not the
    # fastest flying lap of any checkpoint).
    assert m.info().best_lap_s == 13.25
    m.set_final(2)
    assert m.load_checkpoint("final")["policy.weight"][0, 0] == 2 and m.pick_checkpoint() == "final"
    with pytest.raises(ModelStoreError, match="no checkpoint for iteration 9"):
        m.set_final(9)
    assert m.info().best_lap_s == 11.9  # the final checkpoint's, now races and evaluations drive it
    # A file written just before a crash that kept it out of the index is still found.
    torch.save(weights(3), m.checkpoint_path(3))
    assert [c["iteration"] for c in m.list_checkpoints()] == [0, 1, 2, 3]
    assert m.load_checkpoint("latest")["policy.weight"][0, 0] == 3
    m.prune_checkpoints(keep_last=1)
    assert [c["iteration"] for c in m.list_checkpoints()] == [1, 2, 3]  # best, final, last


def test_checkpoints_refuse_code():
    m = make(ModelStore())
    m.set_status("training")
    m.write_checkpoint(0, weights())
    torch.save({"f": print}, m.checkpoint_path(1))  # a pickled function: weights_only refuses it
    with pytest.raises(Exception, match="[Ww]eights only"):
        m.load_checkpoint(1)


def test_metrics_append_and_survive_a_half_line():
    m = make(ModelStore())
    m.append_episodes([{"episode": 0, "reward": 1.5}, {"episode": 1, "reward": 2.0}])
    with open(m.episodes_path, "a") as fh:
        fh.write('{"episode": 2, "rew')  # a crash mid-line
    m.append_episodes([{"episode": 3, "reward": 4.0}])
    assert [r["episode"] for r in m.read_episodes()] == [0, 1, 3]
    m.append_iterations([{"iteration": 0, "mean_reward": 1.7}])
    assert m.read_iterations() == [{"iteration": 0, "mean_reward": 1.7}]
    m.log("iteration 0 done")
    assert "iteration 0 done" in m.log_path.read_text()


def test_a_crash_between_temp_write_and_rename_keeps_the_old_file(monkeypatch):
    m = make(ModelStore())
    old = m.hyperparameters()

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(model_files.os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        m.write_hyperparameters(Hyperparameters(lr=0.01))
    with pytest.raises(OSError):
        m.set_status("training")
    monkeypatch.undo()
    assert m.hyperparameters() == old and m.status().status == "draft"
    leftovers = [p for p in m.path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_killed_writer_leaves_a_loadable_model():
    store = ModelStore()
    m = make(store)
    script = textwrap.dedent(f"""
        import itertools
        from trainer.model_store import ModelStore, atomic_write, atomic_write_json
        from trainer.hyperparameters import Hyperparameters
        import torch
        m = ModelStore({str(store.root)!r}).get("alpha")
        for i in itertools.count():
            atomic_write(m.hyperparameters_path, Hyperparameters(lr=0.0001 * (1 + i % 9)).to_json())
            atomic_write_json(m.status_path, {{"status": "training", "reason": "x" * (i % 5000), "updated": "now"}})
            m.write_checkpoint(i % 7, {{"w": torch.randn(200, 200)}}, {{"episodes": i}})
            m.append_episodes([{{"episode": i}}] * 50)
            if i == 3:
                print("writing", flush=True)
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for delay in (0.0, 0.1, 0.3):
        proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline() == "writing\n"  # killed mid-stream, not while importing torch
        time.sleep(delay)
        proc.kill()
        proc.wait()
        m.metadata(), m.hyperparameters(), m.training_config()
        assert m.status().status == "training"
        for c in m.list_checkpoints():
            assert m.load_checkpoint(c["iteration"])["w"].shape == (200, 200)
        m.read_episodes()


def test_clone_keeps_action_space_and_starts_from_weights():
    store = ModelStore()
    src = make(store)
    src.set_status("training")
    src.write_checkpoint(0, weights(0))
    src.write_checkpoint(1, weights(1))
    src.set_final(0)
    src.set_status("ready")
    c = store.clone("alpha", "beta", reward_source="def reward_function(params):\n    return 2.0\n",
                    hyperparameters=Hyperparameters(lr=0.0001))
    assert c.metadata().action_space == src.metadata().action_space
    assert c.status().status == "draft" and "2.0" in c.reward_source() and c.hyperparameters().lr == 0.0001
    cfg = c.training_config()
    assert cfg.init_from == "checkpoints/initial.pt" and cfg.cloned_from == {"model": "alpha", "iteration": 0}
    assert c.load_checkpoint("initial")["policy.weight"][0, 0] == 0  # the final one, not the latest
    with pytest.raises(ModelStoreError, match="keeps the action space and sensor of 'alpha'"):
        store.clone("alpha", "gamma", metadata=ModelMetadata(ActionSpace.from_console(2.0, 2, 30.0, 3)))
    with pytest.raises(ModelStoreError, match="keeps the action space"):
        store.clone("alpha", "gamma", metadata=ModelMetadata(sensor=["LIDAR"]))
    assert not store.exists("gamma")
    # An untrained clone passes its starting weights on; a fresh draft has none to pass.
    assert store.clone("beta", "delta").load_checkpoint("initial")["policy.weight"][0, 0] == 0
    make(store, "fresh")
    assert store.clone("fresh", "epsilon").training_config().init_from is None


def test_delete_and_rename():
    store = ModelStore()
    make(store)
    m = store.rename("alpha", "beta")
    assert m.name == "beta" and [n for n in store.names() if n != "standard"] == ["beta"]
    store.rename("beta", "Beta")  # a change of case only
    store.delete("Beta")
    assert [i for i in store.list() if not i.read_only] == []
    with pytest.raises(ModelStoreError, match="no model named 'Beta'"):
        store.get("Beta")


@pytest.fixture
def standard(tmp_path, monkeypatch):
    """A standard model in a fake assets folder."""
    build = ModelStore(tmp_path / "build")
    src = make(build, "std-src")
    src.set_status("training")
    src.write_checkpoint(0, weights(5), {"eval": {"progress": 100.0, "laps_completed": 3, "best_lap_s": 9.8,
                                                 "first_lap_s": 10.5}})
    src.set_final(0)
    src.set_status("ready")
    assets = tmp_path / "assets"
    shutil.copytree(src.path, assets / "standard_model")
    monkeypatch.setattr(sim.paths, "assets_dir", lambda: assets)
    return assets / "standard_model"


def test_standard_model_is_listed_and_read_only(standard):
    store = ModelStore()
    make(store)
    infos = store.list()
    assert [i.name for i in infos] == ["standard", "alpha"]
    assert infos[0].read_only and infos[0].best_lap_s == 10.5 and infos[0].status == "ready"
    std = store.get("standard")
    for change in (lambda: std.set_status("training"), lambda: std.write_reward_source(REWARD),
                   lambda: std.write_hyperparameters(Hyperparameters()), lambda: std.write_checkpoint(1, weights()),
                   lambda: std.set_final(0), lambda: store.delete("standard"),
                   lambda: store.rename("standard", "mine"), lambda: std.log("x")):
        with pytest.raises(ReadOnlyModelError, match=READ_ONLY_MESSAGE):
            change()
    before = sorted(p.relative_to(standard) for p in standard.rglob("*"))
    mine = store.clone("standard", "mine")
    assert mine.load_checkpoint("initial")["policy.weight"][0, 0] == 5
    assert not mine.info().read_only
    assert sorted(p.relative_to(standard) for p in standard.rglob("*")) == before
    with pytest.raises(ModelStoreError, match="reserved"):
        store.rename("alpha", "standard")


def test_missing_standard_model_is_simply_absent(tmp_path, monkeypatch):
    monkeypatch.setattr(sim.paths, "assets_dir", lambda: tmp_path / "nothing")
    store = ModelStore()
    assert store.list() == []
    with pytest.raises(ModelStoreError, match="standard model is not installed"):
        store.get("standard")


def test_unreadable_model_is_listed_with_its_problem():
    store = ModelStore()
    m = make(store)
    m.metadata_path.write_text("{broken")
    [info] = [i for i in store.list() if not i.read_only]
    assert info.status == "failed" and "model_metadata.json" in info.problem

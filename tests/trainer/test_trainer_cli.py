"""The trainer's command line: create, list, show, train, clone, export and import a model."""

import json

import pytest
import torch
from click.testing import CliRunner

from gui.cli import main

pytestmark = pytest.mark.slow


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_model_lifecycle_from_the_command_line(tmp_path):
    torch.set_num_threads(1)
    assert run("model", "create", "cli-model", "--track", "practice_oval", "--cars", "8").exit_code == 0
    rows = json.loads(run("model", "list", "--json").stdout)
    row = next(r for r in rows if r["name"] == "cli-model")
    assert {"name", "status", "track", "sensor"} <= set(row)
    assert row["status"] == "draft" and row["sensor"] == "LIDAR" and row["n_actions"] == 15

    result = run("train", "cli-model", "--iterations", "2")
    assert result.exit_code == 0, result.stderr
    assert "ready" in result.stdout and "it   1" in result.stdout

    shown = json.loads(run("model", "show", "cli-model", "--json").stdout)
    assert shown["status"] == "ready"
    assert shown["metadata"]["action_space_type"] == "discrete" and len(shown["metadata"]["action_space"]) == 15
    assert shown["hyperparameters"]["batch_size"] == 64
    assert [c["iteration"] for c in shown["checkpoints"]] == [0, 1]

    assert run("model", "clone", "cli-model", "cli-clone").exit_code == 0
    archive = tmp_path / "cli-model.tar.gz"
    assert run("model", "export", "cli-model", "-o", str(archive)).exit_code == 0
    assert run("model", "import", str(archive), "--name", "imported").exit_code == 0
    assert run("model", "export", "cli-model", "--onnx", "-o", str(tmp_path / "p.onnx")).exit_code == 0
    names = {r["name"] for r in json.loads(run("model", "list", "--json").stdout)}
    assert {"cli-model", "cli-clone", "imported"} <= names
    assert run("model", "delete", "cli-clone", "--yes").exit_code == 0


def test_create_refuses_competition_tracks_and_bad_input(tmp_path):
    result = run("model", "create", "x", "--track", "workshop_loop_cup")
    assert result.exit_code == 1 and "workshop_loop" in result.stderr and "competition" in result.stderr
    result = run("model", "create", "x", "--track", "workshop_loop", "--max-speed", "5")
    assert result.exit_code == 1 and "max_speed" in result.stderr
    result = run("model", "create", "x", "--track", "workshop_loop", "--steering-levels", "4")
    assert result.exit_code == 1 and "steering_levels" in result.stderr
    hp = tmp_path / "hyperparameters.json"
    hp.write_text(json.dumps({"learning_rate": 0.1}))
    result = run("model", "create", "x", "--track", "workshop_loop", "--hyperparameters", str(hp))
    assert result.exit_code == 1 and "'lr'" in result.stderr
    meta = tmp_path / "model_metadata.json"
    meta.write_text(json.dumps({"action_space": [{"steering_angle": 45, "speed": 1, "index": 0}],
                                "sensor": ["FRONT_FACING_CAMERA"], "action_space_type": "discrete"}))
    result = run("model", "create", "x", "--track", "workshop_loop", "--metadata", str(meta))
    assert result.exit_code == 1 and "steering" in result.stderr
    result = run("model", "show", "nobody", "--json")
    assert result.exit_code == 1 and "nobody" in result.stderr and "Traceback" not in result.stderr
    names = {r["name"] for r in json.loads(run("model", "list", "--json").stdout)}
    assert "x" not in names


BROKEN = "def reward_function(params)\n    return 1.0\n"  # no colon: does not compile


def test_a_broken_reward_is_refused_alike_by_create_clone_and_the_store(tmp_path):
    from trainer.model_store import ModelStore

    broken = tmp_path / "broken.py"
    broken.write_text(BROKEN)
    created = run("model", "create", "x", "--track", "practice_oval", "--reward", str(broken))
    assert created.exit_code == 1 and "broken.py, line 1" in created.stderr
    assert run("model", "create", "src", "--track", "practice_oval").exit_code == 0
    cloned = run("model", "clone", "src", "y", "--reward", str(broken))
    assert cloned.exit_code == 1 and cloned.stderr == created.stderr  # the same words from every path
    store = ModelStore()
    assert not store.exists("x") and not store.exists("y")
    src = store.get("src")
    with pytest.raises(ValueError, match="reward_function.py, line 1"):
        src.write_reward_source(BROKEN)
    assert "return" in src.reward_source() and BROKEN != src.reward_source()


def test_competition_tracks_are_refused_by_the_store_for_every_front_end():
    from trainer.model_store import ModelStore, UntrainableTrackError

    assert run("model", "create", "src", "--track", "practice_oval").exit_code == 0
    cloned = run("model", "clone", "src", "y", "--track", "practice_oval_cup")
    assert cloned.exit_code == 1 and "competition track" in cloned.stderr and "practice_oval" in cloned.stderr
    src = ModelStore().get("src")
    config = src.training_config()
    with pytest.raises(UntrainableTrackError, match="competition track"):
        src.write_training_config({**config.__dict__, "track": "workshop_loop_cup"})
    with pytest.raises(UntrainableTrackError):
        ModelStore().clone("src", "z", training_config={**config.__dict__, "track": "workshop_loop_cup"})
    # A config file changed behind the store's back: training refuses in one line.
    src.config_path.write_text(src.config_path.read_text().replace('"practice_oval"', '"practice_oval_cup"'))
    trained = run("train", "src", "--iterations", "1")
    assert trained.exit_code == 1 and "competition track" in trained.stderr and "Traceback" not in trained.stderr


def test_training_a_model_whose_reward_broke_on_disk_says_so_in_one_line():
    from trainer.model_store import ModelStore

    assert run("model", "create", "src", "--track", "practice_oval", "--cars", "4").exit_code == 0
    ModelStore().get("src").reward_path.write_text(BROKEN)  # edited outside Trackside
    result = CliRunner().invoke(main, ["train", "src", "--iterations", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().count("\n") == 0 and "reward_function.py, line 1" in result.stderr


def test_best_lap_is_the_standing_start_lap_evaluate_gives_and_times_are_formatted():
    import re

    torch.set_num_threads(1)
    assert run("model", "create", "lapper", "--track", "practice_oval", "--cars", "8").exit_code == 0
    draft = run("model", "show", "lapper").stdout
    assert "None" not in draft and re.search(r"best_lap_s: -$", draft, re.M)
    trained = run("train", "lapper", "--iterations", "2")
    assert trained.exit_code == 0
    assert not re.search(r"\d\.\d{5,}", trained.stdout)  # no raw floats in the progress lines
    listed = next(r for r in json.loads(run("model", "list", "--json").stdout) if r["name"] == "lapper")
    from trainer.training import EVAL_SEED

    # Training evaluates each checkpoint under the noise seed EVAL_SEED; evaluate replays it with --seed.
    evaluated = json.loads(run("evaluate", "lapper", "--track", "practice_oval", "--laps", "1", "--no-trace",
                               "--seed", str(EVAL_SEED), "--json").stdout)
    lap1 = evaluated["laps"][0]["time_s"]
    assert listed["best_lap_s"] == lap1  # the same number, to the last bit
    if lap1 is not None:
        shown = run("model", "show", "lapper").stdout
        assert f"best_lap_s: {lap1:.3f} s" in shown
        assert f"{lap1:.3f} s" in run("model", "list").stdout
    shown = run("model", "show", "lapper").stdout
    assert not re.search(r"\d\.\d{5,}", shown) and " None" not in shown
    log = (ModelStoreHome.models() / "lapper" / "logs" / "training.log").read_text()
    assert not re.search(r"\d\.\d{5,}", log) and "None" not in log


class ModelStoreHome:
    @staticmethod
    def models():
        from sim.paths import home

        return home() / "models"

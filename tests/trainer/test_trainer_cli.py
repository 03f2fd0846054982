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

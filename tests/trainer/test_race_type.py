"""A model's race type (time trial, object avoidance, head-to-bot): stored, imported, exported, trained."""

import csv
import json

import pytest
import torch
from click.testing import CliRunner

from gui.cli import main
from sim.actions import ActionSpace
from sim.library import import_track
from sim.paths import assets_dir, bundled_tracks_dir
from trainer.archive import export_model, import_model, import_with_report
from trainer.dfc_import import read_training_params
from trainer.hyperparameters import Hyperparameters, TrainingConfig, TrainingConfigError
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore
from trainer.race import describe, settings_from_options
from trainer.training import train_model

OA = {"NUMBER_OF_OBSTACLES": 3, "RANDOMIZE_OBSTACLE_LOCATIONS": True, "OBJECT_POSITIONS": [],
      "MIN_DISTANCE_BETWEEN_OBSTACLES": 2.0}
CENTRE_LINE = (assets_dir() / "reward_functions" / "centre_line.py").read_text()


def _model(name, **cfg):
    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    return ModelStore().create(name, meta, Hyperparameters(num_episodes_between_training=8), CENTRE_LINE,
                               TrainingConfig(track="practice_oval", **cfg))


def test_the_race_type_round_trips_through_training_config_json_and_old_files_are_time_trials():
    config = TrainingConfig(race_type="object_avoidance", race_settings={"NUMBER_OF_OBSTACLES": 3,
                                                                         "RANDOMIZE_OBSTACLE_LOCATIONS": True})
    assert config.race_settings == OA  # the whole group, under DeepRacer's names
    assert TrainingConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.objects().n_obstacles == 3 and config.objects().randomize_obstacle_locations
    old = TrainingConfig.from_dict({"track": "practice_oval", "n_cars": 4})  # written before race types
    assert old.race_type == "time_trial" and old.race_settings == {} and old.objects() is None
    h2b = TrainingConfig(race_type="head_to_bot", race_settings=settings_from_options(
        "head_to_bot", bots=2, bot_speed=0.8, lane_change=True))
    assert h2b.objects().n_bots == 2 and h2b.objects().bot_car_speed == 0.8 and h2b.objects().is_lane_change
    assert describe(h2b.race_type, h2b.race_settings) == (
        "head to bot: 2 bot cars at 0.8 m/s, changing lanes every 3-5 s")


@pytest.mark.parametrize("kw, words", [
    ({"race_type": "f1"}, "training_config.race_type: expected one of time_trial"),
    ({"race_type": "object_avoidance"}, "NUMBER_OF_OBSTACLES must be at least 1"),
    ({"race_settings": {"NUMBER_OF_BOT_CARS": 2}}, "NUMBER_OF_BOT_CARS does not fit race type time_trial"),
    ({"race_type": "object_avoidance", "race_settings": {"NUMBER_OF_OBSTACLES": 2, "BOT_CAR_SPEED": 1}},
     "BOT_CAR_SPEED does not fit race type object_avoidance"),
    ({"race_type": "head_to_bot", "race_settings": {"NUMBER_OF_BOT_CARS": 1, "BOT_CAR_SPEED": 9}},
     "training_config.race_settings: BOT_CAR_SPEED must be in (0, 4] m/s"),
    ({"race_type": "object_avoidance", "race_settings": {"NUMBER_OF_OBSTACLES": "many"}},
     "NUMBER_OF_OBSTACLES cannot be read"),
])
def test_bad_race_settings_are_refused_in_one_line_naming_the_field(kw, words):
    with pytest.raises(TrainingConfigError) as exc:
        TrainingConfig(**kw)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_an_export_carries_the_race_type(tmp_path):
    m = _model("oa", race_type="object_avoidance", race_settings=OA)
    back = import_model(export_model(m, tmp_path / "oa.tar.gz"), "oa-back")
    assert back.training_config().race_type == "object_avoidance" and back.training_config().race_settings == OA


PARAMS = """---
'OBJECT_POSITIONS': []
'NUMBER_OF_OBSTACLES': '4'
'RANDOMIZE_OBSTACLE_LOCATIONS': 'True'
'MIN_DISTANCE_BETWEEN_OBSTACLES': '2.0'
'NUMBER_OF_BOT_CARS': '3'
'BOT_CAR_SPEED': '0.2'
'RACE_TYPE': '{race}'
'WORLD_NAME': 'practice_oval_dfc'
"""


def test_training_params_lists_are_read_as_deepracer_joins_them():
    params = read_training_params("'OBJECT_POSITIONS':\n- '0.23,-1'\n- '0.6,1'\n'EMPTY': []\n'RACE_TYPE': 'X'\n")
    assert params == {"OBJECT_POSITIONS": "0.23,-1;0.6,1", "EMPTY": "", "RACE_TYPE": "X"}
    config = TrainingConfig(race_type="object_avoidance", race_settings={"OBJECT_POSITIONS": params["OBJECT_POSITIONS"]})
    assert config.objects().object_positions == ((0.23, -1), (0.6, 1)) and config.objects().n_obstacles == 2


def _dfc(root, race):
    meta = ModelMetadata(ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"]).to_json()
    for rel, text in {"model/model_metadata.json": meta, "ip/hyperparameters.json": "{}",
                      "reward_function.py": CENTRE_LINE, "training_params.yaml": PARAMS.format(race=race)}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_dfc_object_avoidance_training_imports_with_its_obstacles(tmp_path):
    import_track(bundled_tracks_dir() / "practice_oval.npy", "practice_oval_dfc")
    report = import_with_report(_dfc(tmp_path / "oa", "OBJECT_AVOIDANCE"), "dfc-oa")
    config = report.model.training_config()
    assert config.race_type == "object_avoidance"
    assert config.race_settings["NUMBER_OF_OBSTACLES"] == 4 and config.race_settings["RANDOMIZE_OBSTACLE_LOCATIONS"]
    assert "NUMBER_OF_BOT_CARS" not in config.race_settings  # the other race type's keys are passed over
    text = "\n".join(report.lines())
    assert "object avoidance: 4 obstacles, random places (from training_params.yaml RACE_TYPE" in text
    h2b = import_with_report(_dfc(tmp_path / "h2b", "HEAD_TO_BOT"), "dfc-h2b").model.training_config()
    assert h2b.race_type == "head_to_bot" and h2b.objects().n_bots == 3 and h2b.objects().n_obstacles == 0
    report = import_with_report(_dfc(tmp_path / "f1", "F1"), "dfc-f1")
    assert report.model.training_config().race_type == "time_trial"
    assert "race type not carried over (RACE_TYPE 'F1' is not one Trackside trains" in "\n".join(report.lines())


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_create_takes_the_race_type_and_refuses_options_that_do_not_fit():
    result = run("model", "create", "oa", "--track", "practice_oval", "--race-type", "object_avoidance",
                 "--obstacles", "3", "--randomize-obstacles")
    assert result.exit_code == 0 and "object avoidance: 3 obstacles, random places" in result.stdout
    assert "object avoidance: 3 obstacles" in run("model", "show", "oa").stdout
    result = run("model", "create", "h2b", "--track", "practice_oval", "--race-type", "head_to_bot", "--bots", "2",
                 "--bot-speed", "0.8", "--lane-change")
    assert result.exit_code == 0
    config = json.loads(run("model", "show", "h2b", "--json").stdout)["training_config"]
    assert config["race_type"] == "head_to_bot" and config["race_settings"]["BOT_CAR_SPEED"] == 0.8
    for args, words in ((["--obstacles", "2"], "--obstacles does not fit race type time_trial"),
                        (["--race-type", "object_avoidance", "--bots", "2"],
                         "--bots does not fit race type object_avoidance (give --race-type head_to_bot)"),
                        (["--race-type", "head_to_bot", "--randomize-obstacles"], "--randomize-obstacles does not fit"),
                        (["--race-type", "head_to_bot", "--bot-speed", "0"], "BOT_CAR_SPEED must be in (0, 4]"),
                        (["--race-type", "object_avoidance", "--obstacles", "0"], "NUMBER_OF_OBSTACLES must be at")):
        result = run("model", "create", "x", "--track", "practice_oval", *args)
        assert result.exit_code == 1 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "x" not in {r["name"] for r in json.loads(run("model", "list", "--json").stdout)}


@pytest.mark.slow
def test_training_with_obstacles_drives_among_them():
    torch.set_num_threads(1)
    m = _model("oa-train", n_cars=8, seed=3, race_type="object_avoidance",
               race_settings={"NUMBER_OF_OBSTACLES": 2, "RANDOMIZE_OBSTACLE_LOCATIONS": True})
    result = train_model(m, max_iterations=1, install_signals=False)
    assert result.status == "ready", result.reason
    log = (m.path / "logs" / "training.log").read_text()
    assert "training started on practice_oval, object avoidance: 2 obstacles, random places, with 8 cars" in log
    with open(m.path / "training-simtrace" / "0-iteration.csv") as f:
        statuses = {row["episode_status"] for row in csv.DictReader(f)}
    assert "crashed" in statuses, statuses

"""model_metadata.json and hyperparameters.json: DeepRacer's format, and clear refusals."""

import json

import pytest

from sim.actions import ActionSpace
from trainer.hyperparameters import CHOICES, HELP, LIMITS, HyperparameterError, Hyperparameters
from trainer.metadata import MetadataError, ModelMetadata

DEEPRACER_DISCRETE = {
    "action_space": [{"steering_angle": -30, "speed": 0.6, "index": 0},
                     {"steering_angle": 0, "speed": 0.6, "index": 1},
                     {"steering_angle": 30, "speed": 0.6, "index": 2}],
    "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
    "training_algorithm": "clipped_ppo", "action_space_type": "discrete", "version": "5"}


def test_metadata_reads_and_writes_deepracer_format():
    meta = ModelMetadata.from_json(json.dumps(DEEPRACER_DISCRETE))
    assert meta.action_space.n == 3 and meta.sensor == ["FRONT_FACING_CAMERA"]
    out = json.loads(meta.to_json())
    assert list(out) == ["action_space", "sensor", "neural_network", "training_algorithm",
                         "action_space_type", "version"]
    assert out["action_space"][2] == {"steering_angle": 30.0, "speed": 0.6, "index": 2}
    assert out["version"] == "5" and out["action_space_type"] == "discrete"
    assert ModelMetadata.from_json(meta.to_json()) == meta


def test_continuous_sac_round_trip_and_extra_keys_kept():
    d = {"action_space": {"steering_angle": {"low": -30, "high": 30}, "speed": {"low": 0.5, "high": 4}},
         "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
         "training_algorithm": "sac", "action_space_type": "continuous", "version": "5",
         "preprocess_type": "GREY_SCALE"}
    meta = ModelMetadata.from_dict(d)
    assert meta.action_space_type == "continuous" and meta.training_algorithm == "sac"
    assert meta.to_dict()["preprocess_type"] == "GREY_SCALE"
    assert meta.to_dict()["action_space"]["speed"] == {"low": 0.5, "high": 4.0}


@pytest.mark.parametrize("sensor, shape", [
    (["FRONT_FACING_CAMERA"], (60, 80)),
    (["LIDAR"], (64,)),
    (["SECTOR_LIDAR"], (8,)),
    (["FRONT_FACING_CAMERA", "LIDAR"], (60 * 80 + 64,)),
    (["STEREO_CAMERAS", "SECTOR_LIDAR"], (2 * 60 * 80 + 8,)),
    (["STEREO_CAMERAS"], (2, 60, 80)),
])
def test_the_network_sees_every_sensor(sensor, shape):
    meta = ModelMetadata(sensor=sensor)
    assert meta.observation.sensors == tuple(sorted(sensor, key=lambda s: "LIDAR" in s))
    assert meta.observation.shape == shape


def test_notes_claim_no_replacement():
    for sensor in (["STEREO_CAMERAS"], ["FRONT_FACING_CAMERA", "LIDAR"], ["STEREO_CAMERAS", "LIDAR"]):
        assert ModelMetadata(sensor=sensor).notes == []
    assert ModelMetadata(sensor=["FRONT_FACING_CAMERA"], neural_network="DEEP_CONVOLUTIONAL_NETWORK").notes == []
    deep = ModelMetadata(sensor=["FRONT_FACING_CAMERA"], neural_network="DEEP_CONVOLUTIONAL_NETWORK_DEEP")
    assert deep.camera_size == (160, 120) and deep.notes == []
    assert any("MLP" in n for n in ModelMetadata(sensor=["LIDAR"]).notes)


@pytest.mark.parametrize("sensor, words", [
    ([], "sensor: expected a list"),
    (["FRONT_FACING_CAMERA", "STEREO_CAMERAS"], "at most one camera"),
    (["LIDAR", "SECTOR_LIDAR"], "at most one lidar"),
    (["CAMERA"], "unknown sensor 'CAMERA'"),
    (["LIDAR", "LIDAR"], "twice"),
])
def test_bad_sensors_refused(sensor, words):
    with pytest.raises(MetadataError, match=words):
        ModelMetadata(sensor=sensor)


def test_sac_needs_continuous():
    with pytest.raises(MetadataError, match="training_algorithm: sac needs a continuous"):
        ModelMetadata(training_algorithm="sac")


def test_too_fast_or_too_much_steering_names_the_field():
    d = json.loads(json.dumps(DEEPRACER_DISCRETE))
    d["action_space"][1]["speed"] = 5.0
    with pytest.raises(MetadataError, match=r"action_space\[1\]\.speed.*5\.0"):
        ModelMetadata.from_dict(d)
    d["action_space"][1]["speed"] = 1.0
    d["action_space"][2]["steering_angle"] = 45
    with pytest.raises(MetadataError, match=r"action_space\[2\]\.steering_angle"):
        ModelMetadata.from_dict(d)


def test_unknown_network_and_algorithm_and_bad_json():
    with pytest.raises(MetadataError, match="neural_network"):
        ModelMetadata(neural_network="RESNET")
    with pytest.raises(MetadataError, match="training_algorithm"):
        ModelMetadata(training_algorithm="dqn")
    with pytest.raises(MetadataError, match="not valid JSON"):
        ModelMetadata.from_json("{")
    with pytest.raises(MetadataError, match="action_space: missing"):
        ModelMetadata.from_dict({"sensor": ["LIDAR"]})


def test_same_model_shape():
    a = ModelMetadata(ActionSpace.from_console(3.0, 3, 30.0, 5))
    assert a.same_model_shape(ModelMetadata(ActionSpace.from_console(3.0, 3, 30.0, 5)))
    assert not a.same_model_shape(ModelMetadata(ActionSpace.from_console(2.0, 3, 30.0, 5)))
    assert not a.same_model_shape(ModelMetadata(sensor=["LIDAR"]))


# -- hyperparameters ---------------------------------------------------------------------------
COMMUNITY = {"batch_size": 64, "beta_entropy": 0.01, "discount_factor": 0.99, "e_greedy_value": 0.05,
             "epsilon_steps": 10000, "exploration_type": "categorical", "loss_type": "huber", "lr": 0.0003,
             "num_episodes_between_training": 20, "num_epochs": 5, "stack_size": 1,
             "term_cond_avg_score": 350.0, "term_cond_max_episodes": 1000, "sac_alpha": 0.2}


def test_defaults_are_the_community_defaults_and_round_trip():
    hp = Hyperparameters()
    assert json.loads(hp.to_json()) == COMMUNITY
    assert Hyperparameters.from_json(hp.to_json()) == hp


def test_partial_file_takes_defaults_and_deepracer_spellings_are_accepted():
    hp = Hyperparameters.from_dict({"lr": 0.001, "batch_size": 128.0, "loss_type": "mean squared error"})
    assert hp.lr == 0.001 and hp.batch_size == 128 and isinstance(hp.batch_size, int)
    assert hp.num_epochs == 5


def test_every_field_is_explained_for_the_gui():
    assert set(HELP) == set(COMMUNITY)
    assert all(len(text) > 20 for text in HELP.values())
    assert LIMITS["batch_size"] == (1, 4096) and "huber" in CHOICES["loss_type"]


@pytest.mark.parametrize("d, message", [
    ({"lr": "fast"}, "lr: expected a number, got 'fast'"),
    ({"lr": 0}, "lr: must be in (0, 1], got 0.0"),
    ({"batch_size": 5000}, "batch_size: must be in [1, 4096], got 5000"),
    ({"batch_size": 64.5}, "batch_size: expected a whole number, got 64.5"),
    ({"batch_size": True}, "batch_size: expected a whole number"),
    ({"discount_factor": 1.5}, "discount_factor: must be in [0, 1]"),
    ({"beta_entropy": -0.1}, "beta_entropy: must be in [0, 1]"),
    ({"num_epochs": 0}, "num_epochs: must be in [1, 100]"),
    ({"num_episodes_between_training": 5000}, "num_episodes_between_training: must be in [1, 1000]"),
    ({"loss_type": "l1"}, "loss_type: expected one of"),
    ({"exploration_type": "random"}, "exploration_type: expected one of"),
    ({"learning_rate": 0.1}, "unknown hyperparameter 'learning_rate' (did you mean 'lr'?)"),
    ({"batchsize": 32}, "unknown hyperparameter 'batchsize' (did you mean 'batch_size'?)"),
    ({"lr": float("nan")}, "lr: expected a finite number"),
])
def test_bad_hyperparameters_name_the_field(d, message):
    with pytest.raises(HyperparameterError) as err:
        Hyperparameters.from_dict(d)
    assert message in str(err.value)


def test_hyperparameters_bad_json():
    with pytest.raises(HyperparameterError, match="not valid JSON"):
        Hyperparameters.from_json("lr=3")
    with pytest.raises(HyperparameterError, match="expected a JSON object"):
        Hyperparameters.from_json("[1, 2]")

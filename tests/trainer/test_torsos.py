"""Every sensor set and DeepRacer network builds a torso that runs; the networks differ as DeepRacer's do."""

import json

import numpy as np
import pytest
import torch

from sim.actions import ActionSpace
from sim.observation import ObservationSpec
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import NETWORKS, ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig
from trainer.networks import build_agent
from trainer.policy import PolicyError, load_policy
from trainer.torsos import build_torso, camera_layers

SETS = (["LIDAR"], ["SECTOR_LIDAR"], ["FRONT_FACING_CAMERA"], ["STEREO_CAMERAS"],
        ["FRONT_FACING_CAMERA", "LIDAR"], ["STEREO_CAMERAS", "SECTOR_LIDAR"])


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


# Stereo cameras under the deeper networks (10-29 M weights) take seconds to build: their layers
# are checked below without building them.
CASES = [(s, n) for s in SETS for n in NETWORKS if "STEREO_CAMERAS" not in s or n.endswith("SHALLOW")]


@pytest.mark.parametrize("sensors, network", CASES)
def test_each_network_runs_on_its_observation(sensors, network):
    meta = ModelMetadata(sensor=sensors, neural_network=network)
    spec = meta.observation
    torso = build_torso(spec.shape, network=network, spec=spec)
    obs = torch.zeros((2, *spec.shape))
    assert torso(obs, torch.zeros(2)).shape == (2, torso.width)


def test_the_deep_network_is_not_the_shallow_one():
    spec = ObservationSpec.from_sensors(["FRONT_FACING_CAMERA"], (80, 60))
    shallow = build_torso(spec.shape, network="DEEP_CONVOLUTIONAL_NETWORK_SHALLOW").layer_list()
    deep = build_torso(spec.shape, network="DEEP_CONVOLUTIONAL_NETWORK").layer_list()
    convs = [line for line in deep if line.startswith("Conv2d")]
    # DeepRacer's DEEP_CONVOLUTIONAL_NETWORK: 4 convs (32 5x5/2, 32 3x3/1, 64 3x3/2, 64 3x3/1), dense 64.
    assert len(convs) == 4 and "kernel_size=(5, 5), stride=(2, 2)" in convs[0]
    assert any(line.startswith("Linear") and "out_features=64" in line for line in deep)
    assert shallow != deep and "Tanh()" not in deep
    assert sum(line.startswith("Conv2d") for line in shallow) == 3
    # Stereo: DeepRacer's own convs for the deeper networks (sensors/utils.py get_stereo_camera_embedders).
    convs, dense, _ = camera_layers("DEEP_CONVOLUTIONAL_NETWORK", stereo=True)
    assert convs == [(32, 3, 1), (64, 3, 2), (64, 3, 1), (128, 3, 2), (128, 3, 1)] and dense == []
    assert camera_layers("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", stereo=True)[0][0] == (32, 8, 4)


def test_the_old_single_shape_call_still_builds_one_sensor_torsos():
    assert build_torso((64,)).width == 128
    assert build_torso((60, 80)).width == 512
    assert build_torso((2, 60, 80)).spec.camera == "STEREO_CAMERAS"
    with pytest.raises(ValueError, match="pass spec="):
        build_torso((60 * 80 + 64,))  # a camera plus a lidar is never read as one long lidar


def test_camera_plus_lidar_features_use_the_lidar():
    spec = ObservationSpec.from_sensors(["FRONT_FACING_CAMERA", "LIDAR"], (80, 60))
    torch.manual_seed(0)
    torso = build_torso(spec.shape, spec=spec)
    image = np.full((1, 1, 60, 80), 112, dtype=np.uint8)
    near = torch.as_tensor(spec.join(image, np.full((1, 64), 0.3, dtype=np.float32)))
    far = torch.as_tensor(spec.join(image, np.full((1, 64), 2.5, dtype=np.float32)))
    speed = torch.zeros(1)
    assert not torch.allclose(torso(near, speed), torso(far, speed))
    dark = torch.as_tensor(spec.join(image * 0, np.full((1, 64), 0.3, dtype=np.float32)))
    assert not torch.allclose(torso(near, speed), torso(dark, speed))


def _model_with_checkpoint(name, meta, agent):
    m = ModelStore().create(name, meta, Hyperparameters(), "def reward_function(params):\n    return 1.0\n",
                            TrainingConfig(track="practice_oval"))
    m.write_checkpoint(0, {"agent": agent.state_dict(), "obs_shape": list(agent.obs_shape), "iteration": 0})
    return m


def test_policy_load_refuses_a_checkpoint_whose_observation_does_not_match():
    space = ActionSpace.from_console()
    both = ModelMetadata(action_space=space, sensor=["FRONT_FACING_CAMERA", "LIDAR"])
    # Weights trained on the lidar alone (as Trackside did before it used every sensor).
    _model_with_checkpoint("lidar-weights", both, build_agent((64,), space))
    with pytest.raises(PolicyError, match=r"'lidar-weights'.*\[64\].*FRONT_FACING_CAMERA \+ LIDAR.*retrain"):
        load_policy("lidar-weights")
    # The right observation but the shallow network's weights under a deep network's name.
    deep = ModelMetadata(action_space=space, sensor=["FRONT_FACING_CAMERA"], neural_network="DEEP_CONVOLUTIONAL_NETWORK")
    _model_with_checkpoint("shallow-weights", deep, build_agent((60, 80), space))
    with pytest.raises(PolicyError, match=r"does not fit .*network \(DEEP_CONVOLUTIONAL_NETWORK\)"):
        load_policy("shallow-weights")
    spec = both.observation
    good = _model_with_checkpoint("fits", both, build_agent(spec.shape, space, spec=spec))
    policy = load_policy(good)
    assert policy.sensor == ("FRONT_FACING_CAMERA", "LIDAR") and policy.obs_shape == (4864,)
    assert json.loads((good.path / "model" / "model_metadata.json").read_text())["sensor"] == ["FRONT_FACING_CAMERA",
                                                                                              "LIDAR"]

"""The Gymnasium adapter passes gymnasium's own environment checker."""

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from sim.actions import ActionSpace  # noqa: E402
from sim.env import EnvConfig  # noqa: E402
from sim.gym_adapter import TracksideGymEnv  # noqa: E402
from sim.paths import assets_dir  # noqa: E402

REWARD = (assets_dir() / "reward_functions" / "centre_line.py").read_text()


@pytest.mark.parametrize("sensor", ["LIDAR", "SECTOR_LIDAR", "FRONT_FACING_CAMERA"])
def test_discrete_env_passes_the_checker(sensor):
    env = TracksideGymEnv("practice_oval", reward_source=REWARD, config=EnvConfig(sensor=sensor))
    check_env(env, skip_render_check=True)


def test_continuous_env_passes_the_checker_and_episodes_end():
    env = TracksideGymEnv("workshop_loop", ActionSpace.continuous((-30, 30), (0.5, 3.0)), reward_source=REWARD)
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    for _ in range(500):
        obs, reward, terminated, truncated, info = env.step(np.array([30.0, 3.0], dtype=np.float32))
        if terminated or truncated:
            break
    assert terminated and info["status"] == "off_track"
    first, _ = env.reset()
    second, _ = env.reset()
    assert not np.array_equal(first, second)  # round robin moves the start on each reset

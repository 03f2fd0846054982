"""What running the reward function in a limited worker process costs training.

``train.reward_sandbox_overhead``: 1 - (training throughput with the reward in the worker
process) / (throughput with it called in the trainer's own process), for PPO iterations
(collection and update) of 32 cars, LIDAR, on ``workshop_loop``, with the first example reward
(centre-line bands). The two ways alternate, iteration by iteration, so load on the machine
hits both alike. ``train.reward_sandbox_collect_overhead``: the same for collection alone
(the part the worker slows down). Budget: at most 0.15.
"""

from __future__ import annotations

import time

import torch
from common import report, wanted

N_CARS = 32
ROUNDS = 4


def main() -> None:
    from sim.actions import ActionSpace
    from sim.env import EnvConfig, RacingEnv
    from sim.library import load_track
    from sim.paths import assets_dir
    from sim.reward import load_reward_function
    from sim.reward_sandbox import RewardSandbox
    from trainer.hyperparameters import Hyperparameters
    from trainer.networks import build_agent
    from trainer.ppo import PPO

    torch.set_num_threads(1)
    track = load_track("workshop_loop")
    source = (assets_dir() / "reward_functions" / "centre_line.py").read_text()
    space = ActionSpace.from_console(3.0, 3, 30.0, 5)
    runs = {}
    for way in ("in_process", "sandbox"):
        env = RacingEnv(track, space, EnvConfig(n_cars=N_CARS, sensor="LIDAR"))
        if way == "in_process":
            env.reward_fn = [load_reward_function(source) for _ in range(N_CARS)]
        else:
            env.reward_fn = RewardSandbox(source, instances=N_CARS, waypoints=env.params_builder.waypoints,
                                          track_length=track.length)
        torch.manual_seed(0)
        agent = build_agent(env.observe().shape[1:], space)
        runs[way] = PPO(env, agent, Hyperparameters(), seed=0)
        runs[way].iteration()  # warm up
    totals = {way: [0, 0.0, 0.0] for way in runs}  # samples, whole seconds, collection seconds
    for _ in range(ROUNDS):
        for way, ppo in runs.items():
            t0 = time.perf_counter()
            rollout, stats = ppo.iteration()
            totals[way][0] += rollout.n_samples
            totals[way][1] += time.perf_counter() - t0
            totals[way][2] += stats["collect_s"]
    runs["sandbox"].env.reward_fn.close()
    rate = {way: (n / whole, n / collect) for way, (n, whole, collect) in totals.items()}
    report("train.reward_sandbox_overhead", 1 - rate["sandbox"][0] / rate["in_process"][0], "fraction",
           budget=0.15, in_process_steps_per_s=round(rate["in_process"][0]),
           sandbox_steps_per_s=round(rate["sandbox"][0]), cars=N_CARS)
    report("train.reward_sandbox_collect_overhead", 1 - rate["sandbox"][1] / rate["in_process"][1], "fraction",
           in_process_steps_per_s=round(rate["in_process"][1]), sandbox_steps_per_s=round(rate["sandbox"][1]))


if __name__ == "__main__":
    if wanted("train.reward_sandbox_overhead"):
        main()

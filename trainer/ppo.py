"""Clipped PPO over a vectorised ``RacingEnv``, read top to bottom.

DeepRacer's meaning of the hyperparameters is kept: one *iteration* collects
``num_episodes_between_training`` finished episodes across all cars (cars still
mid-episode at the end are bootstrapped with the value function; an iteration reports
exactly that many, an episode ending beyond the quota in its last step is reported with
the next iteration, so traces and metrics keep DeepRacer's layout), then runs
``num_epochs`` passes over those samples in minibatches of ``batch_size``.
``lr``, ``beta_entropy``, ``discount_factor`` and ``loss_type`` (huber or mse for
the value loss) are used as named. Fixed settings: clip 0.2, GAE lambda 0.95,
Adam eps 1e-5 (DeepRacer's values), gradient norm clip 0.5, per-minibatch
advantage normalisation, and reward scaling: rewards are divided by a running
standard deviation of the discounted return before learning (Engstrom et al.
2020, "Implementation Matters in Deep Policy Gradients"). Users' reward functions
range from 1e-3 to thousands per step; without scaling the value function fits
slowly and the policy barely moves. Episode rewards in the metrics stay raw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from sim.env import EpisodeStatus, RacingEnv

from .networks import Agent

CLIP = 0.2
GAE_LAMBDA = 0.95
ADAM_EPS = 1e-5
MAX_GRAD_NORM = 0.5
VALUE_COEF = 0.5


@dataclass
class EpisodeResult:
    """One finished training episode."""

    episode: int
    car: int
    reward: float
    progress: float
    steps: int
    status: str
    lap_time: float | None
    start_fraction: float
    reverse: bool


@dataclass
class Rollout:
    """Samples of one iteration, each ``(T, n_cars, ...)``."""

    obs: np.ndarray
    speed: np.ndarray
    actions: np.ndarray
    log_probs: np.ndarray
    values: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray
    last_value: np.ndarray
    episodes: list[EpisodeResult] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        return self.rewards.size


class RunningStd:
    """Running standard deviation of a stream of values (Chan et al. parallel variance)."""

    def __init__(self):
        self.mean, self.var, self.count = 0.0, 1.0, 1e-4

    def update(self, x: np.ndarray) -> None:
        m, v, n = float(np.mean(x)), float(np.var(x)), x.size
        delta, total = m - self.mean, self.count + n
        self.mean += delta * n / total
        self.var = (self.var * self.count + v * n + delta**2 * self.count * n / total) / total
        self.count = total

    @property
    def std(self) -> float:
        return float(np.sqrt(self.var) + 1e-8)


class PPO:
    """Collects rollouts from ``env`` with ``agent`` and improves the agent.

    Args:
        hp: an object with DeepRacer's hyperparameter names (``trainer.hyperparameters.Hyperparameters``).
        on_step: called after every environment step with ``(env, info)`` (telemetry, traces).
        should_stop: polled every step; True ends collection early.
    """

    def __init__(self, env: RacingEnv, agent: Agent, hp, seed: int = 0, on_step=None, should_stop=None):
        self.env, self.agent, self.hp = env, agent, hp
        self.on_step = on_step or (lambda env, info, actions, rewards: None)
        self.should_stop = should_stop or (lambda: False)
        torch.manual_seed(seed)
        self.rng = torch.Generator().manual_seed(seed)
        self.optimizer = torch.optim.Adam(agent.parameters(), lr=hp.lr, eps=ADAM_EPS)
        self.obs, _ = env.reset(seed=seed)
        self.ep_reward = np.zeros(env.n)
        self.return_std = RunningStd()
        self.disc_return = np.zeros(env.n)
        self.env_steps = 0
        self.episodes_done = 0
        self.stopped = False
        self.carried: list[EpisodeResult] = []
        """Episodes that ended in an iteration's last step beyond its quota: the next iteration's first."""

    resume_note = None
    """Nothing to say when a training resumes: everything PPO learns from is collected anew."""

    def optimizer_state(self) -> dict:
        """What a checkpoint keeps of the optimizer."""
        return self.optimizer.state_dict()

    def load_optimizer_state(self, state) -> bool:
        """Continue from a checkpoint's optimizer state; False (a fresh optimizer) when it does not fit,
        e.g. a clone's."""
        try:
            self.optimizer.load_state_dict(state)
        except (ValueError, KeyError, TypeError):
            return False
        return True

    def _tensors(self, obs, speed):
        return torch.as_tensor(obs), torch.as_tensor(speed, dtype=torch.float32)

    # -- collection -----------------------------------------------------------------------
    @torch.no_grad()
    def collect(self) -> Rollout:
        env, agent = self.env, self.agent
        want = self.hp.num_episodes_between_training
        buf = {k: [] for k in ("obs", "speed", "actions", "log_probs", "values", "rewards", "dones")}
        episodes, self.carried = self.carried, []
        while (len(episodes) < want or not buf["obs"]) and not self.stopped:
            speed = env.state.speed.astype(np.float32)
            obs_t, speed_t = self._tensors(self.obs, speed)
            action, log_prob, _, value = agent.get_action_and_value(obs_t, speed_t)
            command = agent.to_command(action)
            next_obs, reward, term, trunc, info = env.step(command)
            done = term | trunc
            self.env_steps += env.n
            self.disc_return = self.disc_return * self.hp.discount_factor + reward
            self.return_std.update(self.disc_return)
            self.disc_return[done] = 0.0
            for key, val in (("obs", self.obs), ("speed", speed), ("actions", action.numpy()),
                             ("log_probs", log_prob.numpy()), ("values", value.numpy()),
                             ("rewards", (reward / self.return_std.std).astype(np.float32)), ("dones", done)):
                buf[key].append(val)
            self.ep_reward += reward
            for car in np.flatnonzero(done):
                lap = info["lap_time"][car]
                episodes.append(EpisodeResult(
                    episode=self.episodes_done, car=int(car), reward=float(self.ep_reward[car]),
                    progress=float(info["progress"][car]), steps=int(info["steps"][car]),
                    status=EpisodeStatus(int(info["status"][car])).label,
                    lap_time=float(lap) if info["status"][car] == EpisodeStatus.LAP_COMPLETE else None,
                    start_fraction=float(info["start_fraction"][car]),
                    reverse=bool(info["reverse"][car])))
                self.episodes_done += 1
                self.ep_reward[car] = 0.0
            self.on_step(env, info, command, reward)
            self.obs = next_obs
            if self.should_stop():
                self.stopped = True
        # Exactly ``want`` episodes per iteration, as DeepRacer's: several cars can end in the
        # last step; the extra episodes (their samples are learnt now) are reported next time.
        episodes, self.carried = episodes[:want], episodes[want:]
        obs_t, speed_t = self._tensors(self.obs, env.state.speed.astype(np.float32))
        last_value = agent.get_value(obs_t, speed_t).numpy()
        arrays = {k: np.stack(v) for k, v in buf.items()}
        return Rollout(**arrays, last_value=last_value, episodes=episodes)

    # -- learning -------------------------------------------------------------------------
    def advantages(self, r: Rollout) -> tuple[np.ndarray, np.ndarray]:
        """GAE(lambda) advantages and returns ``(T, n_cars)``; a done step does not bootstrap."""
        gamma = self.hp.discount_factor
        T = len(r.rewards)
        adv = np.zeros_like(r.rewards)
        last = np.zeros(r.rewards.shape[1], dtype=np.float32)
        for t in reversed(range(T)):
            next_value = r.last_value if t == T - 1 else r.values[t + 1]
            nonterminal = 1.0 - r.dones[t].astype(np.float32)
            delta = r.rewards[t] + gamma * next_value * nonterminal - r.values[t]
            last = delta + gamma * GAE_LAMBDA * nonterminal * last
            adv[t] = last
        return adv, adv + r.values

    def update(self, r: Rollout) -> dict:
        """``num_epochs`` passes in minibatches of ``batch_size``. Returns mean losses and entropy."""
        hp, agent = self.hp, self.agent
        adv, ret = self.advantages(r)
        n = r.n_samples
        obs = torch.as_tensor(r.obs.reshape(n, *r.obs.shape[2:]))
        speed = torch.as_tensor(r.speed.reshape(n))
        actions = torch.as_tensor(r.actions.reshape(n, *r.actions.shape[2:]))
        old_logp = torch.as_tensor(r.log_probs.reshape(n))
        adv_t = torch.as_tensor(adv.reshape(n))
        ret_t = torch.as_tensor(ret.reshape(n))
        value_loss_fn = nn.SmoothL1Loss() if hp.loss_type == "huber" else nn.MSELoss()
        stats = {"policy_loss": 0.0, "value_loss": 0.0, "entropy": 0.0, "approx_kl": 0.0, "clip_frac": 0.0}
        batches = 0
        for _ in range(hp.num_epochs):
            order = torch.randperm(n, generator=self.rng)
            for start in range(0, n, hp.batch_size):
                idx = order[start:start + hp.batch_size]
                if len(idx) < 2:
                    continue
                _, logp, entropy, value = agent.get_action_and_value(obs[idx], speed[idx], actions[idx])
                ratio = (logp - old_logp[idx]).exp()
                a = adv_t[idx]
                a = (a - a.mean()) / (a.std() + 1e-8)
                policy_loss = torch.max(-a * ratio, -a * ratio.clamp(1 - CLIP, 1 + CLIP)).mean()
                value_loss = value_loss_fn(value, ret_t[idx])
                ent = entropy.mean()
                loss = policy_loss + VALUE_COEF * value_loss - hp.beta_entropy * ent
                self.optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), MAX_GRAD_NORM)
                self.optimizer.step()
                with torch.no_grad():
                    stats["policy_loss"] += policy_loss.item()
                    stats["value_loss"] += value_loss.item()
                    stats["entropy"] += ent.item()
                    stats["approx_kl"] += ((ratio - 1) - (logp - old_logp[idx])).mean().item()
                    stats["clip_frac"] += ((ratio - 1).abs() > CLIP).float().mean().item()
                batches += 1
        return {k: v / max(batches, 1) for k, v in stats.items()}

    def iteration(self) -> tuple[Rollout, dict]:
        """Collect one iteration's episodes and learn from them; returns the rollout and stats."""
        t0 = time.perf_counter()
        rollout = self.collect()
        t1 = time.perf_counter()
        stats = self.update(rollout) if rollout.n_samples else {}
        t2 = time.perf_counter()
        stats.update(samples=rollout.n_samples, collect_s=t1 - t0, update_s=t2 - t1,
                     env_steps_per_s=rollout.n_samples / max(t1 - t0, 1e-9))
        return rollout, stats

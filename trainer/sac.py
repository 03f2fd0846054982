"""Soft Actor-Critic over a vectorised ``RacingEnv``, for continuous action spaces.

What DeepRacer does, and is kept here (aws-deepracer-community/deepracer-simapp):

- ``bundle/markov/sagemaker_graph_manager.py`` (``get_sac_params``): ``lr`` and ``batch_size``
  for every network, Adam eps 1e-5, ``loss_type`` huber or squared error for the critics,
  ``discount_factor`` as the discount, ``sac_alpha`` as a *fixed* entropy weight (no automatic
  tuning), the mean for evaluation (``use_deterministic_for_evaluation``); ``num_epochs`` and
  ``beta_entropy`` are PPO's only (``get_updated_hyper_parameters`` reads them for clipped_ppo).
- ``bundle/markov/training_worker.py``: one iteration collects
  ``num_episodes_between_training`` episodes, then takes as many gradient steps as it collected
  transitions (``num_consecutive_training_steps = rollout_steps``), each on a minibatch of
  ``batch_size`` drawn from the replay memory (an update-to-data ratio of 1).
- ``.../heads/sac_head.py``: a Gaussian squashed by tanh onto the action ranges, log std
  clipped to [-20, 2], and the log-probability measured in the ranges' own units
  (degrees, m/s), so ``sac_alpha`` weighs the same entropy DeepRacer's does.

Where it differs: DeepRacer's SAC (the 2018 paper) learns a state-value network whose target
copy is replaced (tau 1) between iterations; this is the later form (Haarnoja et al. 2018,
"Soft Actor-Critic Algorithms and Applications"): twin Q critics, each with a target copy
that follows it by Polyak averaging (:data:`TAU` per gradient step), and no V network.
Rewards are learnt as the reward function gives them (DeepRacer scales nothing for SAC either),
so ``sac_alpha``'s weight is relative to the reward's scale, as in DeepRacer.

Every network (actor, both critics) puts its layers on its own torso from
:func:`trainer.torsos.build_torso`, so SAC sees the sensors as PPO does.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from sim.env import EpisodeStatus, RacingEnv

from .ppo import EpisodeResult
from .torsos import build_torso

TAU = 0.005
"""Polyak weight of each gradient step on the target critics (the 2018 paper's value)."""
ADAM_EPS = 1e-5
"""DeepRacer's Adam epsilon for every SAC network."""
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0
"""Bounds of the actor's log standard deviation (DeepRacer's ``log_std_bounds``)."""
HEAD_WIDTH = 128
"""Hidden units of each head's layer on top of its torso."""
REPLAY_BYTES = 256 * 2**20
"""Most memory the replay buffer may take; its capacity in transitions follows from a transition's size."""
REPLAY_MAX = 1_000_000
"""Most transitions the replay buffer holds (rl_coach's experience replay default)."""
SQUASH_EPS = 1e-6


class SACNetwork(nn.Module):
    """Actor and twin critics (with target copies), each on its own torso.

    Actions are in the unit box ``[-1, 1]^2`` (steering, speed) until :meth:`to_command` maps
    them onto the model's ranges (degrees, m/s).

    Args:
        obs_shape: sensor reading shape, ``(n_beams,)`` or ``(height, width)``.
        action_low, action_high: continuous ranges ``(2,)``: (steering degrees, speed m/s).
        torso_args: ``network`` and ``spec`` for :func:`trainer.torsos.build_torso` (every torso alike).
    """

    n_actions = 0
    """Discrete actions: none (SAC is continuous only); read by loaders and exporters."""

    def __init__(self, obs_shape: tuple[int, ...], action_low, action_high, **torso_args):
        super().__init__()
        self.obs_shape = tuple(obs_shape)
        self.actor_torso = build_torso(self.obs_shape, **torso_args)
        width = self.actor_torso.width
        self.actor_body = nn.Sequential(nn.Linear(width, HEAD_WIDTH), nn.ReLU())
        self.actor_mean = nn.Linear(HEAD_WIDTH, 2)
        self.actor_log_std = nn.Linear(HEAD_WIDTH, 2)
        self.q1, self.q2 = QCritic(self.obs_shape, **torso_args), QCritic(self.obs_shape, **torso_args)
        self.q1_target, self.q2_target = copy.deepcopy(self.q1), copy.deepcopy(self.q2)
        for p in list(self.q1_target.parameters()) + list(self.q2_target.parameters()):
            p.requires_grad_(False)
        low = torch.as_tensor(action_low, dtype=torch.float32)
        high = torch.as_tensor(action_high, dtype=torch.float32)
        self.register_buffer("action_mid", (high + low) / 2)
        self.register_buffer("action_half", (high - low) / 2)

    def actor_parameters(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if name.startswith("actor_")]

    def critic_parameters(self) -> list[nn.Parameter]:
        return list(self.q1.parameters()) + list(self.q2.parameters())

    def features(self, obs: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
        """The actor's hidden layer ``(B, HEAD_WIDTH)`` for observations ``(B, *obs_shape)``, speeds ``(B,)`` m/s."""
        return self.actor_body(self.actor_torso(obs, speed))

    def mean_and_log_std(self, obs, speed) -> tuple[torch.Tensor, torch.Tensor]:
        """The Gaussian's mean and clipped log std, both ``(B, 2)``, before the tanh."""
        h = self.features(obs, speed)
        return self.actor_mean(h), self.actor_log_std(h).clamp(LOG_STD_MIN, LOG_STD_MAX)

    def sample(self, obs, speed, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """A reparameterised action in the unit box ``(B, 2)`` and its log-probability ``(B,)`` in the
        ranges' units (degrees, m/s): the Gaussian's, less the tanh's and the scaling's log-Jacobian."""
        mean, log_std = self.mean_and_log_std(obs, speed)
        std = log_std.exp()
        noise = torch.randn(mean.shape, generator=generator)
        raw = mean + std * noise
        action = torch.tanh(raw)
        gauss = (-0.5 * noise.pow(2) - log_std - 0.5 * np.log(2 * np.pi)).sum(1)
        jacobian = torch.log(self.action_half * (1 - action.pow(2)) + SQUASH_EPS).sum(1)
        return action, gauss - jacobian

    @torch.no_grad()
    def act_greedy(self, obs, speed) -> torch.Tensor:
        """The squashed mean ``(B, 2)`` in the unit box: the deterministic policy evaluation drives."""
        mean, _ = self.mean_and_log_std(obs, speed)
        return torch.tanh(mean)

    def to_command(self, action: torch.Tensor) -> np.ndarray:
        """Environment actions ``(B, 2)``: steering degrees, speed m/s."""
        a = torch.clamp(action, -1.0, 1.0)
        return (self.action_mid + a * self.action_half).cpu().numpy()


class QCritic(nn.Module):
    """Q(s, a) ``(B,)`` from a torso's features and a unit-box action ``(B, 2)``."""

    def __init__(self, obs_shape: tuple[int, ...], **torso_args):
        super().__init__()
        self.torso = build_torso(obs_shape, **torso_args)
        self.head = nn.Sequential(nn.Linear(self.torso.width + 2, HEAD_WIDTH), nn.ReLU(), nn.Linear(HEAD_WIDTH, 1))

    def forward(self, obs, speed, action) -> torch.Tensor:
        return self.head(torch.cat([self.torso(obs, speed), action], dim=1)).squeeze(1)


def build_sac_network(obs_shape, action_space, **torso_args) -> SACNetwork:
    """A :class:`SACNetwork` for a sensor reading shape and a continuous ``sim.actions.ActionSpace``
    (``torso_args``: ``network`` and ``spec``, as :func:`trainer.torsos.build_torso` takes them)."""
    if action_space.kind != "continuous":
        raise ValueError("SAC needs a continuous action space")
    low = [action_space.steering_range[0], action_space.speed_range[0]]
    high = [action_space.steering_range[1], action_space.speed_range[1]]
    return SACNetwork(obs_shape, low, high, **torso_args)


class ReplayBuffer:
    """Transitions in numpy arrays, oldest overwritten first once ``capacity`` is reached."""

    def __init__(self, obs_shape: tuple[int, ...], obs_dtype, capacity: int | None = None):
        per = int(np.prod(obs_shape)) * np.dtype(obs_dtype).itemsize * 2 + 4 * 6
        self.capacity = capacity or max(1, min(REPLAY_MAX, REPLAY_BYTES // per))
        n = self.capacity
        self.obs = np.zeros((n, *obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros((n, *obs_shape), dtype=obs_dtype)
        self.speed = np.zeros(n, dtype=np.float32)
        self.next_speed = np.zeros(n, dtype=np.float32)
        self.actions = np.zeros((n, 2), dtype=np.float32)
        self.rewards = np.zeros(n, dtype=np.float32)
        self.terminal = np.zeros(n, dtype=np.float32)
        self.pos, self.size = 0, 0

    def add(self, obs, speed, actions, rewards, next_obs, next_speed, terminal) -> None:
        """Add a batch of ``k`` transitions (each argument with a leading ``k`` axis)."""
        k = len(rewards)
        idx = (self.pos + np.arange(k)) % self.capacity
        self.obs[idx], self.speed[idx], self.actions[idx] = obs, speed, actions
        self.rewards[idx], self.next_obs[idx], self.next_speed[idx] = rewards, next_obs, next_speed
        self.terminal[idx] = terminal
        self.pos = (self.pos + k) % self.capacity
        self.size = min(self.size + k, self.capacity)

    def sample(self, batch: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        idx = rng.integers(0, self.size, batch)
        return {k: torch.as_tensor(getattr(self, k)[idx]) for k in
                ("obs", "speed", "actions", "rewards", "next_obs", "next_speed", "terminal")}


@dataclass
class SACIteration:
    """What one iteration collected: its finished episodes and the number of transitions."""

    episodes: list[EpisodeResult] = field(default_factory=list)
    n_samples: int = 0


class SAC:
    """Collects episodes from ``env`` with ``net``'s stochastic actor and learns off-policy.

    Args:
        hp: DeepRacer's hyperparameter names (``trainer.hyperparameters.Hyperparameters``).
        on_step: called after every environment step with ``(env, info, actions, rewards)``.
        should_stop: polled every step; True ends collection early.
        updates_per_step: gradient steps per collected transition (DeepRacer: 1).
    """

    def __init__(self, env: RacingEnv, net: SACNetwork, hp, seed: int = 0, on_step=None, should_stop=None,
                 updates_per_step: float = 1.0):
        self.env, self.net, self.hp = env, net, hp
        self.on_step = on_step or (lambda env, info, actions, rewards: None)
        self.should_stop = should_stop or (lambda: False)
        self.updates_per_step = updates_per_step
        torch.manual_seed(seed)
        self.gen = torch.Generator().manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.actor_opt = adam(net.actor_parameters(), hp.lr)
        self.critic_opt = adam(net.critic_parameters(), hp.lr)
        self.obs, _ = env.reset(seed=seed)
        self.buffer = ReplayBuffer(self.obs.shape[1:], self.obs.dtype)
        self.ep_reward = np.zeros(env.n)
        self.env_steps = 0
        self.episodes_done = 0
        self.stopped = False
        self.carried: list[EpisodeResult] = []
        """Episodes that ended in an iteration's last step beyond its quota: the next iteration's first."""

    resume_note = ("SAC: the replay buffer starts empty (checkpoints keep the networks and optimizers, "
                   "not the experience); it fills again from this iteration on")
    """Logged when a training resumes from a checkpoint."""

    # -- what a checkpoint keeps ---------------------------------------------------------------
    def optimizer_state(self) -> dict:
        return {"actor": self.actor_opt.state_dict(), "critic": self.critic_opt.state_dict()}

    def load_optimizer_state(self, state) -> bool:
        """Continue from a checkpoint's optimizer state; False (fresh optimizers) when it does not fit."""
        try:
            self.actor_opt.load_state_dict(state["actor"])
            self.critic_opt.load_state_dict(state["critic"])
        except (ValueError, KeyError, TypeError):
            return False
        return True

    # -- collection ----------------------------------------------------------------------------
    @torch.no_grad()
    def collect(self) -> SACIteration:
        env, want = self.env, self.hp.num_episodes_between_training
        out = SACIteration()
        out.episodes, self.carried = self.carried, []
        while (len(out.episodes) < want or out.n_samples == 0) and not self.stopped:
            speed = env.state.speed.astype(np.float32)
            action, _ = self.net.sample(torch.as_tensor(self.obs), torch.as_tensor(speed), self.gen)
            command = self.net.to_command(action)
            next_obs, reward, term, trunc, info = env.step(command)
            next_speed = env.state.speed.astype(np.float32)
            # A time-up car was reset in this step: its next observation is not the one after its
            # last action, so that transition is left out (it is rare and bootstrapping needs it).
            keep = ~trunc
            self.buffer.add(self.obs[keep], speed[keep], action.numpy()[keep], reward[keep].astype(np.float32),
                            next_obs[keep], next_speed[keep], term[keep].astype(np.float32))
            self.env_steps += env.n
            out.n_samples += int(keep.sum())
            self.ep_reward += reward
            for car in np.flatnonzero(term | trunc):
                out.episodes.append(self._episode(info, car))
            self.on_step(env, info, command, reward)
            self.obs = next_obs
            if self.should_stop():
                self.stopped = True
        # Exactly ``want`` episodes per iteration, as DeepRacer's (deepracer-utils numbers episodes
        # by it): the extra ones of the last step (their steps are learnt now) are reported next time.
        out.episodes, self.carried = out.episodes[:want], out.episodes[want:]
        return out

    def _episode(self, info: dict, car: int) -> EpisodeResult:
        status = int(info["status"][car])
        result = EpisodeResult(
            episode=self.episodes_done, car=int(car), reward=float(self.ep_reward[car]),
            progress=float(info["progress"][car]), steps=int(info["steps"][car]),
            status=EpisodeStatus(status).label,
            lap_time=float(info["lap_time"][car]) if status == EpisodeStatus.LAP_COMPLETE else None,
            start_fraction=float(info["start_fraction"][car]), reverse=bool(info["reverse"][car]))
        self.episodes_done += 1
        self.ep_reward[car] = 0.0
        return result

    # -- learning ------------------------------------------------------------------------------
    def critic_loss_fn(self):
        return nn.SmoothL1Loss() if self.hp.loss_type == "huber" else nn.MSELoss()

    def update_step(self, batch: dict[str, torch.Tensor]) -> dict:
        """One gradient step on the critics, then the actor, then the targets' Polyak step."""
        net, hp, alpha = self.net, self.hp, self.hp.sac_alpha
        obs, speed, actions = batch["obs"], batch["speed"], batch["actions"]
        with torch.no_grad():
            next_a, next_logp = net.sample(batch["next_obs"], batch["next_speed"], self.gen)
            next_q = torch.min(net.q1_target(batch["next_obs"], batch["next_speed"], next_a),
                               net.q2_target(batch["next_obs"], batch["next_speed"], next_a))
            target = batch["rewards"] + hp.discount_factor * (1 - batch["terminal"]) * (next_q - alpha * next_logp)
        loss_fn = self.critic_loss_fn()
        critic_loss = loss_fn(net.q1(obs, speed, actions), target) + loss_fn(net.q2(obs, speed, actions), target)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        critics = net.critic_parameters()
        for p in critics:  # the actor's loss needs gradients through the critics, not for them
            p.requires_grad_(False)
        a, logp = net.sample(obs, speed, self.gen)
        q = torch.min(net.q1(obs, speed, a), net.q2(obs, speed, a))
        actor_loss = (alpha * logp - q).mean()  # DeepRacer's sac_head: sac_alpha * log_prob - Q
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()
        for p in critics:
            p.requires_grad_(True)
        soft_update(net.q1_target, net.q1, TAU)
        soft_update(net.q2_target, net.q2, TAU)
        return {"policy_loss": actor_loss.item(), "value_loss": critic_loss.item() / 2,
                "entropy": -logp.mean().item(), "q_mean": q.mean().item()}

    def update(self, n_samples: int) -> dict:
        """``n_samples * updates_per_step`` gradient steps on minibatches of ``batch_size`` from the buffer."""
        steps = round(n_samples * self.updates_per_step)
        if self.buffer.size < 2 or steps == 0:
            return {}
        # DeepRacer's training_worker uses a smaller power-of-two batch while the memory is small.
        batch = min(self.hp.batch_size, 2 ** int(np.floor(np.log2(self.buffer.size))))
        totals: dict[str, float] = {}
        for _ in range(steps):
            for k, v in self.update_step(self.buffer.sample(batch, self.rng)).items():
                totals[k] = totals.get(k, 0.0) + v
        return {k: v / steps for k, v in totals.items()} | {"gradient_steps": steps, "alpha": self.hp.sac_alpha}

    def iteration(self) -> tuple[SACIteration, dict]:
        """Collect one iteration's episodes and learn; returns what was collected and stats."""
        t0 = time.perf_counter()
        collected = self.collect()
        t1 = time.perf_counter()
        stats = self.update(collected.n_samples)
        t2 = time.perf_counter()
        stats.update(samples=collected.n_samples, collect_s=t1 - t0, update_s=t2 - t1,
                     env_steps_per_s=collected.n_samples / max(t1 - t0, 1e-9), replay_size=self.buffer.size)
        return collected, stats


@torch.no_grad()
def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    """``target <- (1 - tau) * target + tau * source`` for every parameter (one fused call)."""
    torch._foreach_lerp_(list(target.parameters()), list(source.parameters()), tau)


def adam(params: list[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """Adam with DeepRacer's epsilon; the fused kernel where this torch has it (several times faster
    on a CPU for SAC's many small steps), the same arithmetic otherwise."""
    try:
        return torch.optim.Adam(params, lr=lr, eps=ADAM_EPS, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, eps=ADAM_EPS, foreach=True)

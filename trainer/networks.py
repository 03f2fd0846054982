"""PPO's actor-critic: policy and value heads on one torso (:mod:`trainer.torsos`).

Checkpoints written before the torso had its own module name its layers ``conv.*`` and
``dense.*``; they load unchanged (the names are mapped to ``torso.conv.*``, ``torso.dense.*``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical, Normal

from sim.observation import ObservationSpec

from .torsos import SHALLOW, build_torso, layer_init

_OLD_TORSO_PREFIXES = ("conv.", "dense.")


def _rename_old_torso_keys(state_dict, prefix, *args) -> None:
    """Load-state-dict pre-hook: ``conv.*``/``dense.*`` of older checkpoints are ``torso.*`` now."""
    for key in [k for k in state_dict if k.startswith(tuple(prefix + p for p in _OLD_TORSO_PREFIXES))]:
        state_dict[prefix + "torso." + key[len(prefix):]] = state_dict.pop(key)


class Agent(nn.Module):
    """Actor-critic with a shared torso.

    Args:
        obs_shape: one car's observation shape (``sim.observation.ObservationSpec.shape``).
        n_actions: discrete action count, or 0 for a continuous policy.
        action_low, action_high: continuous ranges ``(2,)`` (steering degrees, speed m/s).
        hidden: MLP width for a lidar alone.
        network: DeepRacer's ``neural_network`` name.
        spec: the observation layout (needed for a camera plus a lidar; see :func:`build_torso`).
    """

    def __init__(self, obs_shape: tuple[int, ...], n_actions: int, action_low=None, action_high=None, hidden: int = 128,
                 *, network: str = SHALLOW, spec: ObservationSpec | None = None):
        super().__init__()
        self.obs_shape = tuple(obs_shape)
        self.n_actions = n_actions
        self.torso = build_torso(self.obs_shape, hidden, network=network, spec=spec)
        self._register_load_state_dict_pre_hook(_rename_old_torso_keys)
        width = self.torso.width
        self.critic = layer_init(nn.Linear(width, 1), std=1.0)
        if n_actions > 0:
            self.actor = layer_init(nn.Linear(width, n_actions), std=0.01)
        else:
            self.actor = layer_init(nn.Linear(width, 2), std=0.01)
            self.log_std = nn.Parameter(torch.full((2,), -0.5))
            low = torch.as_tensor(action_low, dtype=torch.float32)
            high = torch.as_tensor(action_high, dtype=torch.float32)
            self.register_buffer("action_mid", (high + low) / 2)
            self.register_buffer("action_half", (high - low) / 2)

    # -- features -------------------------------------------------------------------------
    def features(self, obs: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
        """Torso output ``(B, width)`` for raw observations ``(B, *obs_shape)`` and speeds ``(B,)`` m/s."""
        return self.torso(obs, speed)

    def get_value(self, obs: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
        return self.critic(self.features(obs, speed)).squeeze(1)

    def distribution(self, hidden: torch.Tensor):
        if self.n_actions > 0:
            return Categorical(logits=self.actor(hidden))
        return Normal(self.actor(hidden), self.log_std.exp().expand(hidden.shape[0], 2))

    def get_action_and_value(self, obs, speed, action=None):
        """Sample (or score) actions. Returns ``action, log_prob, entropy, value``.

        Continuous actions are in the unit box ``[-1, 1]^2`` before scaling with
        :meth:`to_command`; log-probabilities are of the unscaled Gaussian sample.
        """
        hidden = self.features(obs, speed)
        dist = self.distribution(hidden)
        if action is None:
            action = dist.sample()
        log_prob = dist.log_prob(action)
        entropy = dist.entropy()
        if self.n_actions == 0:
            log_prob, entropy = log_prob.sum(1), entropy.sum(1)
        return action, log_prob, entropy, self.critic(hidden).squeeze(1)

    @torch.no_grad()
    def act_greedy(self, obs, speed) -> torch.Tensor:
        """The most likely action (discrete) or the mean (continuous), as used in evaluation."""
        hidden = self.features(obs, speed)
        if self.n_actions > 0:
            return self.actor(hidden).argmax(dim=1)
        return self.actor(hidden)

    def to_command(self, action: torch.Tensor) -> np.ndarray:
        """Environment actions: indices ``(B,)`` or ``(B, 2)`` (steering deg, speed m/s)."""
        if self.n_actions > 0:
            return action.cpu().numpy()
        a = torch.clamp(action, -1.0, 1.0)
        return (self.action_mid + a * self.action_half).cpu().numpy()


def build_agent(obs_shape, action_space, *, network: str = SHALLOW, spec: ObservationSpec | None = None) -> Agent:
    """An :class:`Agent` for an observation shape, a ``sim.actions.ActionSpace``, a DeepRacer
    network name and the observation layout (see :func:`trainer.torsos.build_torso`)."""
    if action_space.kind == "discrete":
        return Agent(obs_shape, action_space.n, network=network, spec=spec)
    low = [action_space.steering_range[0], action_space.speed_range[0]]
    high = [action_space.steering_range[1], action_space.speed_range[1]]
    return Agent(obs_shape, 0, low, high, network=network, spec=spec)

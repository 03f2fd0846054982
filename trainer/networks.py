"""Policy and value networks: an MLP for LIDAR sensors, DeepRacer's shallow CNN for the camera.

Both take the sensor reading plus the car's measured speed (normalised by 4 m/s).
DeepRacer's networks see only the sensor and rely on frame stacking to sense
motion; handing the speed in directly lets a policy learn braking points from a
single frame, which is what makes training in minutes possible on a laptop.

The shallow CNN follows DeepRacer's ``DEEP_CONVOLUTIONAL_NETWORK_SHALLOW``: conv 32
filters 8x8 stride 4, conv 64 4x4 stride 2, conv 64 3x3 stride 1, then dense 512.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical, Normal

LIDAR_RANGE_M = 3.0
"""LIDAR readings are clipped here before scaling to [0, 1]: farther edges matter little at 4 m/s."""


def layer_init(layer: nn.Module, std: float = np.sqrt(2), bias: float = 0.0) -> nn.Module:
    """Orthogonal initialisation, as in most PPO implementations (Engstrom et al. 2020)."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


class Agent(nn.Module):
    """Actor-critic with a shared torso.

    Args:
        obs_shape: sensor reading shape, ``(n_beams,)`` or ``(height, width)``.
        n_actions: discrete action count, or 0 for a continuous policy.
        action_low, action_high: continuous ranges ``(2,)`` (steering degrees, speed m/s).
        hidden: MLP width for LIDAR sensors.
    """

    def __init__(self, obs_shape: tuple[int, ...], n_actions: int, action_low=None, action_high=None, hidden: int = 128):
        super().__init__()
        self.obs_shape = tuple(obs_shape)
        self.is_image = len(self.obs_shape) == 2
        self.n_actions = n_actions
        if self.is_image:
            h, w = self.obs_shape
            self.conv = nn.Sequential(
                layer_init(nn.Conv2d(1, 32, 8, stride=4)), nn.ReLU(),
                layer_init(nn.Conv2d(32, 64, 4, stride=2)), nn.ReLU(),
                layer_init(nn.Conv2d(64, 64, 3, stride=1)), nn.ReLU(), nn.Flatten())
            with torch.no_grad():
                flat = self.conv(torch.zeros(1, 1, h, w)).shape[1]
            self.dense = nn.Sequential(layer_init(nn.Linear(flat + 1, 512)), nn.ReLU())
            width = 512
        else:
            self.dense = nn.Sequential(layer_init(nn.Linear(self.obs_shape[0] + 1, hidden)), nn.Tanh(),
                                       layer_init(nn.Linear(hidden, hidden)), nn.Tanh())
            width = hidden
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
        v = (speed / 4.0).unsqueeze(1)
        if self.is_image:
            x = self.conv(obs.unsqueeze(1).float() / 255.0)
        else:
            x = obs.clamp(max=LIDAR_RANGE_M) / LIDAR_RANGE_M
        return self.dense(torch.cat([x, v], dim=1))

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


def build_agent(obs_shape, action_space) -> Agent:
    """An :class:`Agent` for a sensor reading shape and a ``sim.actions.ActionSpace``."""
    if action_space.kind == "discrete":
        return Agent(obs_shape, action_space.n)
    low = [action_space.steering_range[0], action_space.speed_range[0]]
    high = [action_space.steering_range[1], action_space.speed_range[1]]
    return Agent(obs_shape, 0, low, high)

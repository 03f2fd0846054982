"""What a network sees: a torso turns one sensor reading plus the car's speed into features.

Policies and value functions (PPO's :class:`trainer.networks.Agent`, SAC's actor and critics)
put their heads on a torso built by :func:`build_torso`, so every algorithm sees the sensors
the same way.

Each torso takes the sensor reading plus the car's measured speed (normalised by 4 m/s).
DeepRacer's networks see only the sensor and rely on frame stacking to sense motion; handing
the speed in directly lets a policy learn braking points from a single frame, which is what
makes training in minutes possible on a laptop.

- LIDAR readings ``(n_beams,)``: an MLP of two ``hidden``-wide tanh layers.
- Camera images ``(height, width)``, grey 0..255: DeepRacer's
  ``DEEP_CONVOLUTIONAL_NETWORK_SHALLOW``: conv 32 filters 8x8 stride 4, conv 64 4x4 stride 2,
  conv 64 3x3 stride 1, then dense 512.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

LIDAR_RANGE_M = 3.0
"""LIDAR readings are clipped here before scaling to [0, 1]: farther edges matter little at 4 m/s."""
SPEED_SCALE_MS = 4.0
"""The speed input is divided by this, m/s."""


def layer_init(layer: nn.Module, std: float = np.sqrt(2), bias: float = 0.0) -> nn.Module:
    """Orthogonal initialisation, as in most PPO implementations (Engstrom et al. 2020)."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


class Torso(nn.Module):
    """Features ``(B, width)`` from observations ``(B, *obs_shape)`` and speeds ``(B,)`` m/s.

    Args:
        obs_shape: sensor reading shape, ``(n_beams,)`` or ``(height, width)``.
        hidden: MLP width for LIDAR sensors.
    """

    def __init__(self, obs_shape: tuple[int, ...], hidden: int = 128):
        super().__init__()
        self.obs_shape = tuple(obs_shape)
        self.is_image = len(self.obs_shape) == 2
        if self.is_image:
            h, w = self.obs_shape
            self.conv = nn.Sequential(
                layer_init(nn.Conv2d(1, 32, 8, stride=4)), nn.ReLU(),
                layer_init(nn.Conv2d(32, 64, 4, stride=2)), nn.ReLU(),
                layer_init(nn.Conv2d(64, 64, 3, stride=1)), nn.ReLU(), nn.Flatten())
            with torch.no_grad():
                flat = self.conv(torch.zeros(1, 1, h, w)).shape[1]
            self.dense = nn.Sequential(layer_init(nn.Linear(flat + 1, 512)), nn.ReLU())
            self.width = 512
        else:
            self.dense = nn.Sequential(layer_init(nn.Linear(self.obs_shape[0] + 1, hidden)), nn.Tanh(),
                                       layer_init(nn.Linear(hidden, hidden)), nn.Tanh())
            self.width = hidden

    def forward(self, obs: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
        v = (speed / SPEED_SCALE_MS).unsqueeze(1)
        if self.is_image:
            x = self.conv(obs.unsqueeze(1).float() / 255.0)
        else:
            x = obs.clamp(max=LIDAR_RANGE_M) / LIDAR_RANGE_M
        return self.dense(torch.cat([x, v], dim=1))


def build_torso(obs_shape: tuple[int, ...], hidden: int = 128) -> Torso:
    """The torso for a sensor reading shape (see the module docstring)."""
    return Torso(obs_shape, hidden)

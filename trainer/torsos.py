"""What a network sees: a torso turns a model's sensor readings plus the car's speed into features.

Policies and value functions (PPO's :class:`trainer.networks.Agent`, SAC's actor and critics)
put their heads on a torso built by :func:`build_torso`, so every algorithm sees every sensor
set and network the same way. A torso follows DeepRacer's layout (deepracer-simapp
``bundle/markov/sensors/utils.py`` for the input embedders, ``bundle/markov/architecture/
custom_architectures.py`` for the middleware, ``bundle/markov/agents/utils.py``
``get_network_settings``): each sensor is embedded on its own, the embeddings are flattened and
concatenated (rl_coach's default embedding merger), and a dense *middleware* follows.

- Camera embedders, by ``neural_network`` (ReLU after every layer):

  - ``DEEP_CONVOLUTIONAL_NETWORK_SHALLOW``: conv 32 8x8/4, conv 64 4x4/2, conv 64 3x3/1.
  - ``DEEP_CONVOLUTIONAL_NETWORK``: conv 32 5x5/2, 32 3x3/1, 64 3x3/2, 64 3x3/1, then dense 64.
  - ``DEEP_CONVOLUTIONAL_NETWORK_DEEP``: conv 32 8x8/4, 32 4x4/2, 64 4x4/2, 64 3x3/1, then dense
    512, 512 (its four strided convs need DeepRacer's full 160 x 120 image).
  - ``STEREO_CAMERAS`` (two grey channels): the shallow convs for the shallow network; for the
    two deeper ones conv 32 3x3/1, 64 3x3/2, 64 3x3/1, 128 3x3/2, 128 3x3/1.

  DeepRacer's embedder tables also list tanh, batch norm and dropout (``bn_info_conv``,
  ``bn_info_dense``), but ``get_network_settings`` picks the plain ``scheme`` embedder type, whose
  ``create_scheme`` (``architecture/embedder_factory.py``) reads only the conv and dense lists, and
  the activation it passes is ReLU: so none of those are in DeepRacer's networks, nor here.

- Lidar embedder next to a camera: dense 256, 256, ReLU (``get_lidar_embedders``).
- Middleware: dense 512, ReLU; for ``DEEP_CONVOLUTIONAL_NETWORK_DEEP`` dense 256, 128, ReLU.
- A lidar alone (Trackside only; DeepRacer needs a camera): an MLP of two ``hidden``-wide tanh layers.

Each torso also takes the car's measured speed (normalised by 4 m/s), joined to the embeddings
before the middleware. DeepRacer's networks see only the sensors and rely on frame stacking to
sense motion; handing the speed in directly lets a policy learn braking points from a single
frame, which is what makes training in minutes possible on a laptop.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sim.observation import LIDAR_READINGS, ObservationSpec

LIDAR_RANGE_M = 3.0
"""LIDAR readings are clipped here before scaling to [0, 1]: farther edges matter little at 4 m/s."""
SPEED_SCALE_MS = 4.0
"""The speed input is divided by this, m/s."""
SHALLOW = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"
DEEP = "DEEP_CONVOLUTIONAL_NETWORK"
DEEP_DEEP = "DEEP_CONVOLUTIONAL_NETWORK_DEEP"

# (filters, kernel, stride) per conv layer, dense widths after them, activation: DeepRacer's
# input embedders (sensors/utils.py get_front_camera_embedders / get_stereo_camera_embedders).
CAMERA_EMBEDDERS = {
    SHALLOW: ([(32, 8, 4), (64, 4, 2), (64, 3, 1)], [], nn.ReLU),
    DEEP: ([(32, 5, 2), (32, 3, 1), (64, 3, 2), (64, 3, 1)], [64], nn.ReLU),
    DEEP_DEEP: ([(32, 8, 4), (32, 4, 2), (64, 4, 2), (64, 3, 1)], [512, 512], nn.ReLU),
}
STEREO_DEEP_CONVS = [(32, 3, 1), (64, 3, 2), (64, 3, 1), (128, 3, 2), (128, 3, 1)]
LIDAR_EMBEDDER = [256, 256]
MIDDLEWARE = {SHALLOW: [512], DEEP: [512], DEEP_DEEP: [256, 128]}
"""DEFAULT_MIDDLEWARE (dense 512) and, for the deep-deep network, VGG_MIDDLEWARE (dense 256, 128)."""


def layer_init(layer: nn.Module, std: float = np.sqrt(2), bias: float = 0.0) -> nn.Module:
    """Orthogonal initialisation, as in most PPO implementations (Engstrom et al. 2020)."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


def _dense(n_in: int, widths: list[int], act) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for w in widths:
        layers += [layer_init(nn.Linear(n_in, w)), act()]
        n_in = w
    return nn.Sequential(*layers), n_in


def camera_layers(network: str, stereo: bool) -> tuple[list[tuple[int, int, int]], list[int], type]:
    """DeepRacer's camera embedder for ``network``: conv ``(filters, kernel, stride)`` list,
    dense widths, activation class."""
    if network not in CAMERA_EMBEDDERS:
        raise ValueError(f"neural_network: expected one of {', '.join(CAMERA_EMBEDDERS)}, got {network!r}")
    if stereo and network != SHALLOW:
        return STEREO_DEEP_CONVS, [], nn.ReLU
    return CAMERA_EMBEDDERS[network]


class Torso(nn.Module):
    """Features ``(B, width)`` from observations ``(B, *spec.shape)`` and speeds ``(B,)`` m/s.

    Args:
        obs_shape: one car's observation shape: ``(n_beams,)`` for a lidar alone,
            ``(height, width)`` for a camera, ``(2, height, width)`` for stereo cameras; a camera
            plus a lidar needs ``spec``.
        hidden: MLP width for a lidar alone.
        network: DeepRacer's ``neural_network`` name (shapes the camera embedder and middleware).
        spec: the observation layout; inferred from ``obs_shape`` when None.

    Submodules: ``conv`` (camera convs, flattened), ``camera_dense`` (camera embedder's dense
    layers), ``lidar`` (lidar embedder next to a camera), ``dense`` (middleware; for a lidar
    alone, its MLP). The names ``conv`` and ``dense`` are those of older checkpoints.
    """

    def __init__(self, obs_shape: tuple[int, ...], hidden: int = 128, *, network: str = SHALLOW,
                 spec: ObservationSpec | None = None):
        super().__init__()
        self.obs_shape = tuple(obs_shape)
        self.spec = spec or _infer_spec(self.obs_shape)
        if self.spec.shape != self.obs_shape:
            raise ValueError(f"obs_shape {self.obs_shape} is not what {self.spec.label} gives ({self.spec.shape})")
        self.network = network
        self.is_image = self.spec.camera is not None
        joined = 1  # the speed input
        if self.is_image:
            c, h, w = self.spec.image_shape
            convs, dense, act = camera_layers(network, c == 2)
            layers: list[nn.Module] = []
            for filters, kernel, stride in convs:
                layers += [layer_init(nn.Conv2d(c, filters, kernel, stride=stride)), act()]
                c = filters
            self.conv = nn.Sequential(*layers, nn.Flatten())
            try:
                with torch.no_grad():
                    flat = self.conv(torch.zeros(1, *self.spec.image_shape)).shape[1]
            except RuntimeError:
                raise ValueError(f"neural_network: {network} needs a larger camera image than {w} x {h} px") from None
            self.camera_dense, n = _dense(flat, dense, act)
            joined += n
        if self.spec.lidar is not None and self.is_image:
            self.lidar, n = _dense(self.spec.readings, LIDAR_EMBEDDER, nn.ReLU)
            joined += n
        if self.is_image:
            self.dense, self.width = _dense(joined, MIDDLEWARE[network], nn.ReLU)
        else:
            self.dense, self.width = _dense(self.spec.readings + 1, [hidden, hidden], nn.Tanh)

    def layer_list(self) -> list[str]:
        """The layers in order, one line each (e.g. ``Conv2d(1, 32, kernel_size=(8, 8), ...)``)."""
        return [repr(m) for m in self.modules() if not list(m.children())]

    def forward(self, obs: torch.Tensor, speed: torch.Tensor) -> torch.Tensor:
        v = (speed / SPEED_SCALE_MS).unsqueeze(1)
        images, ranges = self.spec.split(obs)
        parts = []
        if images is not None:
            parts.append(self.camera_dense(self.conv(images.float() / 255.0)))
        if ranges is not None:
            x = ranges.float().clamp(max=LIDAR_RANGE_M) / LIDAR_RANGE_M
            parts.append(self.lidar(x) if self.is_image else x)
        return self.dense(torch.cat([*parts, v], dim=1))


def _infer_spec(obs_shape: tuple[int, ...]) -> ObservationSpec:
    """The layout an observation shape implies when it names one sensor (see :class:`Torso`).

    A flat shape other than a lidar's (64 or 8 readings) is a camera plus a lidar, whose split
    the shape cannot tell: refused, never read as a long lidar."""
    if len(obs_shape) == 1 and obs_shape[0] in LIDAR_READINGS.values():
        return ObservationSpec(None, {n: name for name, n in LIDAR_READINGS.items()}[obs_shape[0]])
    if len(obs_shape) == 2:
        return ObservationSpec("FRONT_FACING_CAMERA", None, (obs_shape[1], obs_shape[0]))
    if len(obs_shape) == 3 and obs_shape[0] == 2:
        return ObservationSpec("STEREO_CAMERAS", None, (obs_shape[2], obs_shape[1]))
    raise ValueError(f"obs_shape {tuple(obs_shape)}: pass spec= (ModelMetadata.observation or RacingEnv.obs_spec) "
                     "for a camera plus a lidar; alone a shape means (64,) or (8,) lidar readings, "
                     "(height, width) or (2, height, width) camera images")


def build_torso(obs_shape: tuple[int, ...], hidden: int = 128, *, network: str = SHALLOW,
                spec: ObservationSpec | None = None) -> Torso:
    """The torso for an observation shape, DeepRacer network name and layout (see :class:`Torso`)."""
    return Torso(obs_shape, hidden, network=network, spec=spec)

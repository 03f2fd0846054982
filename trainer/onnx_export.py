"""Export a model's policy to ONNX, for use outside Trackside.

The exported graph takes ``observation`` (the sensors' reading, ``(batch, *obs_shape)`` as float,
laid out as ``sim.observation.ObservationSpec`` says: LIDAR ranges in m; a uint8-valued grayscale
image ``(h, w)``; stereo ``(2, h, w)``; a camera plus a lidar as one flat vector, pixels row by row
then the ranges) and ``speed``
(``(batch,)`` m/s), and gives ``action_logits`` ``(batch, n_actions)`` for a discrete
space (the action index is their argmax; ``model_metadata.json`` maps it to steering
and speed) or ``action_mean`` ``(batch, 2)`` in the unit box for a continuous one
(scale with the metadata's ranges), plus ``value``. A SAC model (``training_algorithm: sac``)
gives ``action_mean`` only: its actor's squashed mean ``tanh(mean)`` in the unit box, the
deterministic action it drives with (its critics judge actions, they give no state value).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import TracksideError

if TYPE_CHECKING:
    from .model_store import Model

ONNX_MISSING = "ONNX export needs the onnx package, which is not installed: pip install onnx"


class OnnxMissingError(TracksideError):
    """The ``onnx`` package is not installed; the message says what to install."""


def onnx_missing() -> str | None:
    """:data:`ONNX_MISSING` when ``import onnx`` fails (torch's exporter needs it), else None."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        return ONNX_MISSING
    return None


def export_onnx(model: Model, path: str | Path, which: int | str | None = None) -> Path:
    """Write the policy of checkpoint ``which`` (default: final, else best, else latest) to ``path``.
    Raises :class:`OnnxMissingError` (one line: what to install) without the ``onnx`` package."""
    missing = onnx_missing()
    if missing:  # before torch is even imported: the answer comes at once
        raise OnnxMissingError(missing)
    import torch

    from .policy import load_policy

    agent = load_policy(model, which).agent
    sac = model.metadata().training_algorithm == "sac"
    graph = _policy_graph(agent, sac=sac).eval()
    obs = torch.zeros((1, *agent.obs_shape))
    speed = torch.zeros(1)
    out_name = "action_logits" if agent.n_actions > 0 else "action_mean"
    outputs = [out_name] if sac else [out_name, "value"]
    path = Path(path)
    with warnings.catch_warnings():
        # The TorchScript exporter needs no extra packages; the newer one needs onnxscript.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(graph, (obs, speed), str(path), dynamo=False, input_names=["observation", "speed"],
                          output_names=outputs,
                          dynamic_axes={"observation": {0: "batch"}, "speed": {0: "batch"},
                                        **{name: {0: "batch"} for name in outputs}})
    return path


def _policy_graph(agent, sac: bool = False):
    """The network as one module with the exported inputs and outputs: PPO's features, actor and
    critic (logits or mean, and the value), or SAC's actor giving its squashed mean, what
    :meth:`trainer.sac.SACNetwork.act_greedy` drives with (torch is imported only here)."""
    import torch
    from torch import nn

    class PolicyGraph(nn.Module):
        def __init__(self):
            super().__init__()
            self.agent = agent

        def forward(self, observation, speed):
            hidden = self.agent.features(observation, speed)
            return self.agent.actor(hidden), self.agent.critic(hidden).squeeze(1)

    class MeanActionGraph(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = agent

        def forward(self, observation, speed):
            mean, _ = self.net.mean_and_log_std(observation, speed)
            return torch.tanh(mean)

    return MeanActionGraph() if sac else PolicyGraph()

"""Export a model's policy to ONNX, for use outside Trackside.

The exported graph takes ``observation`` (the sensor reading, ``(batch, *obs_shape)``:
LIDAR ranges in m, or a uint8-valued grayscale image as float) and ``speed``
(``(batch,)`` m/s), and gives ``action_logits`` ``(batch, n_actions)`` for a discrete
space (the action index is their argmax; ``model_metadata.json`` maps it to steering
and speed) or ``action_mean`` ``(batch, 2)`` in the unit box for a continuous one
(scale with the metadata's ranges), plus ``value``.
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
    graph = _policy_graph(agent).eval()
    obs = torch.zeros((1, *agent.obs_shape))
    speed = torch.zeros(1)
    out_name = "action_logits" if agent.n_actions > 0 else "action_mean"
    path = Path(path)
    with warnings.catch_warnings():
        # The TorchScript exporter needs no extra packages; the newer one needs onnxscript.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(graph, (obs, speed), str(path), dynamo=False, input_names=["observation", "speed"],
                          output_names=[out_name, "value"],
                          dynamic_axes={"observation": {0: "batch"}, "speed": {0: "batch"},
                                        out_name: {0: "batch"}, "value": {0: "batch"}})
    return path


def _policy_graph(agent):
    """The agent's features, actor and critic as one module with the exported inputs and outputs."""
    from torch import nn

    class PolicyGraph(nn.Module):
        def __init__(self):
            super().__init__()
            self.agent = agent

        def forward(self, observation, speed):
            hidden = self.agent.features(observation, speed)
            return self.agent.actor(hidden), self.agent.critic(hidden).squeeze(1)

    return PolicyGraph()

"""The rules every model obeys, whichever front-end changes it: checked by the model store.

- Competition tracks are not trainable: races run on them, nobody trains on them.
- A reward function must load (compile, run its module, define ``reward_function(params)``).
- A clone keeps its source's action space and sensor (``trainer.model_store.ModelStore.clone``).
"""

from __future__ import annotations

from .model_files import ModelStoreError


class UntrainableTrackError(ModelStoreError):
    """Training on a competition track."""


def check_trainable(track_name: str) -> None:
    """Refuse a competition track (:class:`UntrainableTrackError`). A track this home does not
    have (yet) passes here: training says so when it starts, naming the tracks there are."""
    from sim.library import list_tracks

    info = next((t for t in list_tracks() if t.name == track_name), None)
    if info is not None and not info.trainable:
        hint = f"; train on {info.resembles!r}, the practice track like it" if info.resembles else ""
        raise UntrainableTrackError(f"track {track_name!r} is a competition track: races run on it, "
                                    f"nobody trains on it{hint}")


def check_reward(source: str, filename: str = "reward_function.py") -> None:
    """Refuse a reward function that does not load, with the one-line
    :class:`sim.reward.RewardFunctionError` that says where and why."""
    from sim.reward import load_reward_function

    load_reward_function(source, filename)

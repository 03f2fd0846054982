"""The training algorithms a model's ``training_algorithm`` names, behind one small interface.

``clipped_ppo`` (:class:`trainer.ppo.PPO`) and ``sac`` (:class:`trainer.sac.SAC`) both offer
what training needs, so ``trainer/training.py`` runs either without asking which:

- ``iteration() -> (collected, stats)``: one DeepRacer iteration, collect
  ``num_episodes_between_training`` episodes then learn; ``collected.episodes`` holds the
  finished episodes (:class:`trainer.ppo.EpisodeResult`), ``stats`` the numbers for the metrics;
- ``env_steps``: car-steps simulated so far;
- ``optimizer_state()`` / ``load_optimizer_state(state) -> bool``: what a checkpoint keeps
  to resume learning where it stopped; ``resume_note``: what a resume does not restore.

The network of each (:func:`build_network`) acts greedily through ``act_greedy`` and
``to_command``, which is all the one policy loader (``trainer/policy.py``) needs.
"""

from __future__ import annotations

from typing import Protocol

from sim.env import RacingEnv

from .metadata import ModelMetadata

ALGORITHM_NAMES = {"clipped_ppo": "PPO (clipped)", "sac": "SAC (soft actor-critic)"}
"""DeepRacer's ``training_algorithm`` values and how they read in a log line."""


class Algorithm(Protocol):
    """What training calls; see the module docstring."""

    env_steps: int
    resume_note: str | None
    """A line for the log when training resumes from a checkpoint (what is not restored), or None."""

    def iteration(self) -> tuple[object, dict]: ...

    def optimizer_state(self) -> dict: ...

    def load_optimizer_state(self, state) -> bool: ...


def build_network(obs_shape: tuple[int, ...], meta: ModelMetadata):
    """The network ``meta.training_algorithm`` trains, for observations of ``obs_shape``, on the
    torso ``meta.neural_network`` and ``meta.observation`` name."""
    torso_args = {"network": meta.neural_network, "spec": meta.observation}
    if meta.training_algorithm == "sac":
        from .sac import build_sac_network

        return build_sac_network(obs_shape, meta.action_space, **torso_args)
    from .networks import build_agent

    return build_agent(obs_shape, meta.action_space, **torso_args)


def make_algorithm(meta: ModelMetadata, env: RacingEnv, network, hp, *, seed: int, on_step=None,
                   should_stop=None) -> Algorithm:
    """The learner for ``meta.training_algorithm`` over ``env`` and ``network`` (from :func:`build_network`)."""
    if meta.training_algorithm == "sac":
        from .sac import SAC

        return SAC(env, network, hp, seed=seed, on_step=on_step, should_stop=should_stop)
    from .ppo import PPO

    return PPO(env, network, hp, seed=seed, on_step=on_step, should_stop=should_stop)

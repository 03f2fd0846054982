"""What the create-model form turns into: the model folder, built through the model store.

Kept apart from the widgets so the rules (the same ones ``trackside model create`` applies)
read in one place.
"""

from __future__ import annotations

from trainer.archive import DESCRIPTION_FILE  # the model's note; export carries it
from trainer.model_store import Model, ModelStore, ModelStoreError, atomic_write

SENSORS = (
    ("LIDAR", "LIDAR (recommended)",
     ("64 distance beams over ±150° around the car, each measuring how far the road's edge is. "
      "Learns fastest: the edges are given, not seen.")),
    ("SECTOR_LIDAR", "Sector LIDAR",
     "The same scan summed into 8 sectors: a tiny input that tells only roughly where the edges are."),
    ("FRONT_FACING_CAMERA", "Front-facing camera",
     ("A grey camera image looking ahead, like the real DeepRacer car. Slowest to learn; the most like racing "
      "a real car.")),
    ("STEREO_CAMERAS", "Stereo cameras",
     "Two grey cameras side by side (DeepRacer Evo): the network sees both images and can judge depth."),
    ("FRONT_FACING_CAMERA+LIDAR", "Camera + LIDAR",
     ("DeepRacer's set-up for object avoidance: the network sees the image and the beams, each through its "
      "own layers, joined before the last ones.")),
    ("STEREO_CAMERAS+LIDAR", "Stereo cameras + LIDAR",
     "Both cameras and the beams together (DeepRacer Evo's full sensor set)."),
)
"""Sensor choices: (DeepRacer names joined by ``+``, title, one-line explanation)."""

NETWORKS = (
    ("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", "Shallow (3 conv layers)"),
    ("DEEP_CONVOLUTIONAL_NETWORK", "Deep (4 conv layers + dense 64)"),
    ("DEEP_CONVOLUTIONAL_NETWORK_DEEP", "Deep-deep (4 conv + 2 dense 512, full 160 x 120 image)"),
)
"""DeepRacer's camera networks: (name, title); :mod:`trainer.torsos` builds their layers."""
ALGORITHMS = (("clipped_ppo", "PPO (proximal policy optimization)"), ("sac", "SAC (soft actor-critic)"))
"""Training algorithms as the DeepRacer console offers them: (``training_algorithm`` value, title)."""
ALGORITHM_HELP = ("PPO learns from the episodes it has just driven; it works with discrete and continuous "
                  "action spaces. SAC keeps every step it drives in a replay memory and learns from it again and "
                  "again, trying actions at random in proportion to SAC alpha; DeepRacer offers it for continuous "
                  "action spaces only.")



def default_name(store: ModelStore, base: str = "my-first-model") -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever is free."""
    names = {n.lower() for n in store.names()}
    if base.lower() not in names:
        return base
    k = 2
    while f"{base}-{k}".lower() in names:
        k += 1
    return f"{base}-{k}"


def read_description(model: Model) -> str:
    try:
        return (model.path / DESCRIPTION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def build_model(form) -> Model:
    """Create the draft model the form describes; raises a ValueError or ModelStoreError whose
    message says what is wrong (the form shows it)."""
    from trainer.hyperparameters import TrainingConfig
    from trainer.metadata import ModelMetadata

    name = form.name.text().strip()
    track_name = form.tracks.current()  # the store refuses a competition track (trainer.model_rules)
    space = form.actions.space
    if space is None:
        raise ModelStoreError("action space: fix the marked fields first")
    metadata = ModelMetadata(action_space=space, sensor=form.sensor().split("+"), neural_network=form.network(),
                             training_algorithm=form.training_algorithm())
    race_type, race_settings = form.race.choice()  # a RaceTypeError says what is wrong
    hp = form.hyper.hyperparameters()
    if hp is None:
        raise ModelStoreError("hyperparameters: fix the marked fields first")
    config = TrainingConfig(
        track=track_name,
        reverse=form.direction.currentIndex() == 1,
        alternate_direction=form.alternate.isChecked(),
        round_robin=form.round_robin.isChecked(),
        max_minutes=float(form.max_minutes.value()),
        max_episodes=form.max_episodes.value() or None,
        target_progress=float(form.target_progress.value()) or None,
        seed=form.seed.value(),
        n_cars=form.n_cars.value(),
        race_type=race_type,
        race_settings=race_settings,
    )
    model = form.ctx.store.create(name, metadata, hp, form.reward.source(), config)
    description = form.description.text().strip()
    if description:
        atomic_write(model.path / DESCRIPTION_FILE, description + "\n")
    return model

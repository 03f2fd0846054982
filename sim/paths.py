"""Where Trackside keeps things: the user's home folder and the bundled data.

All user data (imported tracks, models, the league database) lives under one
folder, ``TRACKSIDE_HOME`` if set, else the platform's user data folder.
Bundled tracks and assets ship as the data packages ``tracks`` and ``assets``,
so they are found the same way from a checkout and from an installed wheel.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

HOME_ENV = "TRACKSIDE_HOME"


def home() -> Path:
    """The user's Trackside folder, created on first use."""
    root = os.environ.get(HOME_ENV) or platformdirs.user_data_dir("trackside", appauthor=False)
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_tracks_dir() -> Path:
    """Tracks the user imported (``home()/tracks``)."""
    path = home() / "tracks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bundled_tracks_dir() -> Path:
    """The tracks shipped with Trackside (the ``tracks`` data package)."""
    return Path(str(resources.files("tracks")))


def assets_dir() -> Path:
    """Bundled assets: the standard model, example reward functions, pictures."""
    return Path(str(resources.files("assets")))

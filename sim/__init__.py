"""Trackside's 2D simulator: tracks, the car, sensors, reward params, the racing line."""

SIM_VERSION = "1"
"""Bump whenever a change to the physics, sensors, episode rules or lap timing can change a
lap time for the same weights. League submissions record it, so a standing can be told
apart from one that the same model would earn on a newer simulator."""

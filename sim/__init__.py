"""Trackside's 2D simulator: tracks, the car, sensors, reward params, the racing line."""

SIM_VERSION = "3"
"""Bump whenever a change to the physics, sensors, episode rules or lap timing can change a
lap time for the same weights. League submissions record it, so a standing can be told
apart from one that the same model would earn on a newer simulator."""
# 2: DeepRacer's wheel and reference-point geometry (sim.vehicle) and the seeded noise model (sim.noise).
# 3: camera pixel noise drawn as whole grey levels from 16-bit uniforms by table (sim.pixel_noise), the
#    uniforms from SplitMix64 words keyed by one draw of the environment's generator per frame batch: the
#    same rounded Gaussian to 1/65536 per level, from other draws, so seeded camera runs replay differently.

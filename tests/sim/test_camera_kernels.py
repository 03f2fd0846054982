"""The camera's compiled loops (``sim.camera_kernels``) give what their numpy references give, exactly:
the blocks' screen boxes (also for blocks cut by the near plane or behind the camera) and the
frames with blocks drawn."""

import numpy as np
import pytest

from sim.camera import TRAINING_SIZE, Camera
from sim.camera_objects import BLOCK_EDGES, NEAR_M, screen_boxes
from sim.library import load_track


@pytest.fixture(scope="module")
def camera():
    return Camera(load_track("workshop_loop"), size=TRAINING_SIZE)


def test_compiled_screen_boxes_equal_the_numpy_boxes(camera):
    from sim import camera_kernels

    rng = np.random.default_rng(3)
    q = 4000
    # Footprints of about a box's size anywhere from 0 to 3 m around the camera, behind it included,
    # some straddling the camera itself (corners on both sides of the near plane).
    centre = rng.uniform(-3, 3, (q, 1, 2)) * rng.choice([1.0, 0.05], (q, 1, 1))
    corners = centre + rng.uniform(-0.15, 0.15, (q, 4, 2))
    yaw = rng.uniform(-np.pi, np.pi, q)
    top = rng.choice([0.07, 0.15], q)
    up = np.concatenate([np.zeros((q, 4)), np.repeat(top[:, None], 4, axis=1)], axis=1) - camera.mount_height
    c, s = np.cos(yaw), np.sin(yaw)
    gx, gy = np.ascontiguousarray(corners[..., 0]), np.ascontiguousarray(corners[..., 1])
    slow = screen_boxes(camera, gx, gy, c, s, up)
    lens = (float(camera.width), float(camera.height), float(camera.focal), float(np.cos(camera.pitch)),
            float(np.sin(camera.pitch)), NEAR_M)
    fast = camera_kernels.screen_boxes(gx, gy, c, s, up, BLOCK_EDGES, lens)
    np.testing.assert_array_equal(fast, slow)
    seen = slow[:, 1] >= slow[:, 0]
    assert 0.2 < seen.mean() < 0.9  # some in view, some not
    whole = seen & (slow[:, 0] == 0) & (slow[:, 1] == camera.width - 1) & (slow[:, 3] == camera.height - 1)
    assert whole.sum() > 10  # blocks around the camera fill the screen

import numpy as np
from sim.library import load_track
from sim.objects import ObjectsConfig, ObjectWorld
from sim.object_rows import object_rows, object_outlines
from gui.track_view import TrackView

def test_track_view_draws_the_objects_of_one_car(qtbot):
    track = load_track("workshop_loop")
    world = ObjectWorld(track, ObjectsConfig(number_of_obstacles=3, number_of_bot_cars=2), 2)
    world.reset(np.arange(2), np.zeros(2, bool), np.random.default_rng(0))
    rows = object_rows(world.state, 0)
    assert rows.shape == (5, 6) and list(rows[:, 5]) == [0, 0, 0, 1, 1]
    np.testing.assert_allclose(object_outlines(rows), world.state.outline[0], atol=1e-9)
    view = TrackView(track); qtbot.addWidget(view)
    view.set_objects(rows)
    assert view._boxes.path().elementCount() == 3 * 5 and view._bots.path().elementCount() == 2 * 5
    view.clear_dynamic()
    assert view._boxes.path().isEmpty()

"""Track: loading real DeepRacer-format files, geometry queries, and refusing broken files."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Polygon

from sim.track import Track, TrackError, TrackInfo


def make_waypoints(center: np.ndarray, widths: np.ndarray, closed: bool) -> np.ndarray:
    """DeepRacer rows ``(N, 6)`` for a centre line ``(N, 2)`` (no repeated end) and widths ``(N,)``.

    Borders sit half a width either side along the normals; ``inner`` is on the left,
    the interior of a counter-clockwise loop. A closed loop gets its first row repeated.
    """
    if closed:
        tangent = np.roll(center, -1, axis=0) - np.roll(center, 1, axis=0)
    else:
        tangent = np.gradient(center, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    left = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    rows = np.column_stack([center, center + left * widths[:, None] / 2, center - left * widths[:, None] / 2])
    return np.vstack([rows, rows[:1]]) if closed else rows


def varying_loop() -> np.ndarray:
    """A counter-clockwise trefoil-like loop (convex and concave bends), width 0.6 .. 1.0 m."""
    theta = np.linspace(0.0, 2 * np.pi, 160, endpoint=False)
    r = 3.0 + 0.6 * np.cos(3 * theta)
    center = np.column_stack([r * np.cos(theta), r * np.sin(theta)]) + [5.0, 4.0]
    widths = 0.8 + 0.2 * np.sin(2 * theta)
    return make_waypoints(center, widths, closed=True)


def straight_road() -> np.ndarray:
    """An open 10 m straight along +x, 0.8 m wide, 51 waypoints."""
    x = np.linspace(0.0, 10.0, 51)
    center = np.column_stack([x, np.zeros_like(x)])
    return make_waypoints(center, np.full_like(x, 0.8), closed=False)


@pytest.fixture
def loop_file(tmp_path):
    path = tmp_path / "trefoil.npy"
    np.save(path, varying_loop())
    return path


@pytest.fixture
def straight_file(tmp_path):
    path = tmp_path / "drag_strip.npy"
    np.save(path, straight_road())
    return path


# -- loading ---------------------------------------------------------------------------
def test_closed_loop_loads_with_length_and_widths(loop_file):
    arr = np.load(loop_file)
    track = Track.load(loop_file)
    assert track.name == "trefoil"
    assert track.closed and track.is_ccw and track.inner_is_left
    assert track.waypoints.shape == (161, 6)
    assert track.length == pytest.approx(Polygon(arr[:-1, 0:2]).exterior.length, rel=1e-12)
    # Widths as DeepRacer measures them (nearest border points to each centre point, on the border
    # polylines): within 1% of the designed width on this curvy loop whose rows are opposite.
    np.testing.assert_allclose(track.widths, 0.8 + 0.2 * np.sin(2 * np.linspace(0, 2 * np.pi, 161)), rtol=0.01)
    assert track.width == pytest.approx(np.median(track.widths))
    assert 0.59 <= track.widths.min() < 0.62 and 0.98 < track.widths.max() <= 1.0 + 1e-9


def test_open_straight_loads(straight_file):
    track = Track.load(straight_file)
    assert not track.closed
    assert track.length == pytest.approx(10.0)
    assert track.width == pytest.approx(0.8)
    p = track.project(np.array([[5.0, 0.2], [12.0, 0.0], [-1.0, -0.3]]))
    np.testing.assert_allclose(p.s, [5.0, 10.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(p.distance, [0.2, 2.0, np.hypot(1.0, 0.3)], atol=1e-12)
    assert p.left.tolist() == [True, False, False]


def test_reversed_drives_the_same_road_the_other_way(loop_file):
    track = Track.load(loop_file)
    back = track.reversed()
    assert back.closed and not back.is_ccw
    assert back.length == pytest.approx(track.length)
    np.testing.assert_allclose(back.center, track.center[::-1])
    np.testing.assert_allclose(back.widths, track.widths[::-1])
    xy = track.point_at(np.array([1.0, 7.5, 13.0])) + 0.1
    np.testing.assert_allclose(back.project(xy).s, track.length - track.project(xy).s, atol=1e-9)


# -- projection against shapely -----------------------------------------------------------
def _circular_diff(a: np.ndarray, b: np.ndarray, period: float) -> np.ndarray:
    return (a - b + period / 2) % period - period / 2


def _random_points(track: Track, rng: np.random.Generator) -> np.ndarray:
    """Points all over the track's box and beyond, plus a cloud around the wrap point."""
    x0, y0, x1, y1 = track.bounds
    spread = rng.uniform([x0 - 1.5, y0 - 1.5], [x1 + 1.5, y1 + 1.5], size=(3000, 2))
    near_road = track.point_at(rng.uniform(0, track.length, 2000)) + rng.normal(0, 0.4, (2000, 2))
    wrap = track.center[0] + rng.normal(0, 0.3, (500, 2))
    return np.vstack([spread, near_road, wrap])


@pytest.mark.parametrize("direction", ["ccw file", "cw file", "reversed()"])
def test_project_matches_shapely_on_varying_width_loop(tmp_path, direction):
    rows = varying_loop()
    if direction == "cw file":
        rows = rows[::-1].copy()
    path = tmp_path / "loop.npy"
    np.save(path, rows)
    track = Track.load(path)
    if direction == "reversed()":
        track = track.reversed()
    xy = _random_points(track, np.random.default_rng(7))
    line = LineString(track.center)
    pts = shapely.points(xy)

    p = track.project(xy)
    np.testing.assert_allclose(p.distance, shapely.distance(line, pts), atol=1e-9)
    ds = _circular_diff(p.s, shapely.line_locate_point(line, pts), track.length)
    np.testing.assert_allclose(ds, 0.0, atol=1e-6)
    assert np.all((track.cum_s[p.segment] - 1e-9 <= p.s) & (p.s <= track.cum_s[p.segment + 1] + 1e-9))
    # Left of the driving direction is the loop's interior exactly when the loop runs counter-clockwise.
    inside = shapely.contains_xy(Polygon(track.center), xy[:, 0], xy[:, 1])
    clear = p.distance > 1e-6
    np.testing.assert_array_equal(p.left[clear], (inside == track.is_ccw)[clear])


def test_project_near_the_wrap_point(loop_file):
    """Just before waypoint 0 is the end of the lap, just after it is the start."""
    track = Track.load(loop_file)
    before = track.point_at(np.array([track.length - 0.05]))
    after = track.point_at(np.array([0.05]))
    s = track.project(np.vstack([before, after])).s
    np.testing.assert_allclose(s, [track.length - 0.05, 0.05], atol=1e-9)
    assert track.project(track.center[:1]).distance[0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
def test_project_matches_shapely_on_open_straight(straight_file, reverse):
    track = Track.load(straight_file)
    if reverse:
        track = track.reversed()
    xy = np.random.default_rng(3).uniform([-2.0, -2.0], [12.0, 2.0], size=(2000, 2))
    line, pts = LineString(track.center), shapely.points(xy)
    p = track.project(xy)
    np.testing.assert_allclose(p.distance, shapely.distance(line, pts), atol=1e-9)
    np.testing.assert_allclose(p.s, shapely.line_locate_point(line, pts), atol=1e-9)
    assert np.array_equal(p.left[np.abs(xy[:, 1]) > 1e-9], (xy[:, 1] > 0) != reverse)


# -- on the road ---------------------------------------------------------------------------
def test_border_lines_count_as_road(loop_file, straight_file):
    loop = Track.load(loop_file)
    assert loop.on_road(loop.inner).all() and loop.on_road(loop.outer).all()
    assert loop.on_road(loop.center).all()
    # 2 cm beyond either border, along the line from the centre through it: grass.
    for border in (loop.inner, loop.outer):
        away = border - loop.center
        off = border + 0.02 * away / np.linalg.norm(away, axis=1, keepdims=True)
        assert not loop.on_road(off).any()

    strip = Track.load(straight_file)
    x = np.random.default_rng(0).uniform(0.0, 10.0, 200)
    on_lines = np.concatenate([np.column_stack([x, np.full_like(x, 0.4)]), np.column_stack([x, np.full_like(x, -0.4)])])
    assert strip.on_road(on_lines).all()
    assert not strip.on_road(on_lines * [1.0, 1.001]).any()


# -- broken files ------------------------------------------------------------------------------
def _with_nan() -> np.ndarray:
    rows = varying_loop()
    rows[17, 3] = np.nan
    return rows


def _border_crossing_centre() -> np.ndarray:
    rows = straight_road()
    rows[25:, 3] = -0.2  # the inner border jumps to the other side half-way along
    return rows


def _figure_eight() -> np.ndarray:
    t = np.linspace(0.0, 2 * np.pi, 120, endpoint=False)
    center = np.column_stack([4.0 * np.cos(t), 2.0 * np.sin(2 * t)])
    return make_waypoints(center, np.full(len(t), 0.5), closed=True)


BROKEN = {
    "nan_value": (_with_nan, ["NaN", "row 17"]),
    "two_points": (lambda: straight_road()[:2], ["at least 3 waypoints"]),
    "four_columns": (lambda: straight_road()[:, :4], ["shape (N, 6)", "(51, 4)"]),
    "border_crossing": (_border_crossing_centre, ["inner border crosses the centre line"]),
    "figure_eight": (_figure_eight, ["centre line crosses itself"]),
    "text_array": (lambda: np.full((5, 6), "x"), ["numeric array"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_are_refused_with_the_file_and_the_problem(tmp_path, case):
    make, expected = BROKEN[case]
    path = tmp_path / f"{case}.npy"
    np.save(path, make())
    with pytest.raises(TrackError) as err:
        Track.load(path)
    message = str(err.value)
    assert f"{case}.npy" in message
    for text in expected:
        assert text in message


def test_garbage_file_is_refused(tmp_path):
    path = tmp_path / "holiday_photo.npy"
    path.write_bytes(b"\x89PNG\r\n\x1a\n this is not a track at all")
    with pytest.raises(TrackError, match=r"holiday_photo\.npy: not a readable \.npy array"):
        Track.load(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(TrackError, match=r"nowhere\.npy: no such track file"):
        Track.load(tmp_path / "nowhere.npy")


def test_a_short_open_track_with_few_waypoints_loads_and_projects():
    x = np.linspace(0.0, 3.0, 7)
    arr = np.stack([x, np.zeros(7), x, np.full(7, 0.4), x, np.full(7, -0.4)], axis=1)
    track = Track(arr, TrackInfo(name="short"))
    assert not track.closed and track.length == pytest.approx(3.0)
    proj = track.project(np.array([[1.3, 0.2], [2.9, -0.1]]))
    assert proj.s == pytest.approx([1.3, 2.9]) and proj.distance == pytest.approx([0.2, 0.1])

"""The racing line: inside the road, shorter and smoother than the centre, and a believable best lap."""

import functools

import numpy as np
import pytest
import shapely

from sim.racing_line import RacingLine, compute_racing_line
from sim.track import Track, TrackInfo
from sim.vehicle import VehicleConfig

CAR = VehicleConfig()


# -- tracks built here, so the tests do not depend on the bundled files ------------
def turtle(segments, spacing=0.1):
    """Centre line ``(N, 2)`` from ``("s", length)`` and ``("a", radius, degrees)`` pieces (positive = left)."""
    p, h, pts = np.zeros(2), 0.0, [np.zeros(2)]
    for seg in segments:
        if seg[0] == "s":
            n = max(1, int(np.ceil(seg[1] / spacing)))
            pts += [p + seg[1] * k / n * np.array([np.cos(h), np.sin(h)]) for k in range(1, n + 1)]
        else:
            r, ang = seg[1], np.radians(seg[2])
            c = p + np.sign(ang) * r * np.array([-np.sin(h), np.cos(h)])
            a0 = np.arctan2(p[1] - c[1], p[0] - c[0])
            n = max(2, int(np.ceil(abs(ang) * r / spacing)))
            pts += [c + r * np.array([np.cos(a0 + ang * k / n), np.sin(a0 + ang * k / n)]) for k in range(1, n + 1)]
            h += ang
        p = pts[-1].copy()
    return np.array(pts)


def make_track(center, width, name):
    """A track with borders at +-width/2 along the centre normals; ``width`` scalar or ``(N,)``."""
    center = np.array(center, dtype=float)
    closed = np.linalg.norm(center[0] - center[-1]) < 1e-6
    if closed:
        center[-1] = center[0]
        tang = np.roll(center[:-1], -1, 0) - np.roll(center[:-1], 1, 0)
        tang = np.vstack([tang, tang[:1]])
    else:
        tang = np.gradient(center, axis=0)
    tang /= np.linalg.norm(tang, axis=1)[:, None]
    normal = np.stack([-tang[:, 1], tang[:, 0]], axis=1)
    half = np.broadcast_to(np.asarray(width, dtype=float), (len(center),))[:, None] / 2
    return Track(np.hstack([center, center + normal * half, center - normal * half]), TrackInfo(name=name))


def oval(width=0.76):
    """17.4 m counter-clockwise stadium: 4 m straights, 1.5 m radius ends; waypoint 0 starts a straight."""
    return make_track(turtle([("s", 4.0), ("a", 1.5, 180), ("s", 4.0), ("a", 1.5, 180)]), width, "oval")


def hairpin_loop(scale=1.1, width=0.76):
    """18.2 m loop: long straight, a 0.55 m-radius hairpin, a right-hander, three lefts."""
    k = scale
    segs = [("s", 4 * k), ("a", 0.5 * k, 180), ("s", 1.5 * k), ("a", 0.8 * k, -90), ("s", 1.0 * k),
            ("a", 1.0 * k, 90), ("s", 0.7 * k), ("a", 1.0 * k, 90), ("s", 1.8 * k), ("a", 1.0 * k, 90)]
    return make_track(turtle(segs), width, "hairpin")


def varying_oval():
    """The oval with the width swinging between 0.6 and 1.07 m three times a lap."""
    c = turtle([("s", 4.0), ("a", 1.5, 180), ("s", 4.0), ("a", 1.5, 180)])
    s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))])
    return make_track(c, 0.835 + 0.235 * np.sin(2 * np.pi * 3 * s / s[-1] + 0.7), "varying")


TRACKS = {"oval": oval, "hairpin": hairpin_loop, "varying": varying_oval,
          "hairpin_reversed": lambda: hairpin_loop().reversed(), "big": lambda: hairpin_loop(scale=4.2, width=1.07)}


@functools.cache
def built(name):
    return TRACKS[name]()


@pytest.fixture(params=sorted(TRACKS))
def track(request):
    return built(request.param)


def curvature_integral(points, closed=True):
    """Sum of kappa^2 ds over a polyline (Menger curvature at each vertex), 1/m."""
    a, b, c = np.roll(points, 1, 0), points, np.roll(points, -1, 0)
    if not closed:
        a, b, c = a[1:-1], b[1:-1], c[1:-1]
    ab, bc, ca = b - a, c - b, a - c
    lab, lbc, lca = (np.hypot(*v.T) for v in (ab, bc, ca))
    kappa = 2 * (ab[:, 0] * bc[:, 1] - ab[:, 1] * bc[:, 0]) / (lab * lbc * lca)
    return float(np.sum(kappa**2 * (lab + lbc) / 2)), float(np.max(np.abs(kappa)))


def flying_lap(points, curvature, max_speed):
    """Lap time (s) and speeds ``(K,)`` of the middle of three laps of a loop driven from a standstill."""
    if curvature is None:
        a, b, c = np.roll(points, 1, 0), points, np.roll(points, -1, 0)
        ab, bc, ca = b - a, c - b, a - c
        curvature = 2 * (ab[:, 0] * bc[:, 1] - ab[:, 1] * bc[:, 0]) / np.prod([np.hypot(*v.T) for v in (ab, bc, ca)], 0)
    ds = np.hypot(*(np.roll(points, -1, 0) - points).T)
    v_lim = np.minimum(max_speed, np.sqrt(CAR.grip / np.maximum(np.abs(curvature), 1e-12)))
    v, gaps, k = np.append(np.tile(v_lim, 3), v_lim[0]), np.tile(ds, 3), len(ds)
    v[0] = 0.0
    for i in range(1, len(v)):
        v[i] = min(v[i], np.sqrt(v[i - 1] ** 2 + 2 * CAR.max_accel * gaps[i - 1]))
    for i in range(len(v) - 2, -1, -1):
        v[i] = min(v[i], np.sqrt(v[i + 1] ** 2 + 2 * CAR.max_brake * gaps[i]))
    return float(np.sum(2 * gaps[k : 2 * k] / (v[k : 2 * k] + v[k + 1 : 2 * k + 1]))), v[k : 2 * k]


def line_normals(line: RacingLine, s):
    t = line.point_at(s + 0.005) - line.point_at(s - 0.005)
    t /= np.linalg.norm(t, axis=1)[:, None]
    return np.stack([-t[:, 1], t[:, 0]], axis=1)


# -- tests -------------------------------------------------------------------------
def test_best_lap_lies_between_flat_out_and_walking_pace(track):
    line = compute_racing_line(track)
    assert line.length_m / line.max_speed < line.flying_lap_s < line.best_lap_s < track.length / 1.0
    # A standing start costs at least the time lost getting up to the exit speed of the finish.
    assert line.best_lap_s - line.flying_lap_s > 0.1


def test_line_keeps_half_the_car_width_from_both_borders(track):
    line = compute_racing_line(track)
    s = np.arange(0.0, line.length_m, 0.01)  # between the points too, not only at them
    pts = line.point_at(s)
    half = CAR.body_width / 2
    normal = line_normals(line, s)
    assert track.on_road(pts + half * normal).all()
    assert track.on_road(pts - half * normal).all()
    clearance = shapely.distance(track.road.boundary, shapely.points(pts))
    assert clearance.min() >= half


def test_line_is_shorter_and_smoother_than_the_centre_line():
    track = hairpin_loop()
    line = compute_racing_line(track)
    assert line.length_m < 0.95 * track.length
    line_k2, _ = curvature_integral(line.points)
    centre_k2, _ = curvature_integral(track.center[:-1])
    assert line_k2 < 0.8 * centre_k2
    # The line's own curvature array agrees with its points.
    np.testing.assert_allclose(np.sum(line.curvature**2 * np.gradient(line.s)), line_k2, rtol=0.05)


def test_racing_line_laps_faster_than_driving_the_centre():
    """The same car and limits on the centre line lose time: the line is worth having."""
    track = hairpin_loop()
    line = compute_racing_line(track)
    centre_lap, _ = flying_lap(track.center[:-1], None, line.max_speed)
    assert line.flying_lap_s < 0.9 * centre_lap


def test_on_an_oval_the_line_apexes_at_the_inner_border():
    track = oval()
    line = compute_racing_line(track)
    room = track.width / 2 - CAR.body_width / 2
    # Mid-corner of each 180-degree end: centre arc length 4 + pi*1.5/2 and 8 + 3*pi*1.5/2.
    for apex_s in (4 + np.pi * 0.75, 8 + np.pi * 2.25):
        i = np.argmin(np.abs(line.center_s - apex_s))
        assert line.offsets[i] == pytest.approx(room, abs=0.01)  # inner = left on a CCW loop
    # and it swings out wide between the corners
    assert line.offsets.min() < -0.8 * room


def test_lower_top_speed_never_gives_a_faster_lap():
    track = hairpin_loop()
    laps = [compute_racing_line(track, max_speed=v) for v in (4.0, 3.0, 2.0, 1.0)]
    best = [line.best_lap_s for line in laps]
    flying = [line.flying_lap_s for line in laps]
    assert best == sorted(best) and flying == sorted(flying)
    assert best[-1] > laps[-1].length_m / 1.0
    assert [line.max_speed for line in laps] == [4.0, 3.0, 2.0, 1.0]
    assert laps[-1].speed.max() == pytest.approx(1.0)


def test_flying_lap_matches_a_lap_simulated_in_a_long_run():
    """Independent check of the periodic profile: the middle of three laps from a standstill."""
    line = compute_racing_line(hairpin_loop())
    lap, speed = flying_lap(line.points, line.curvature, line.max_speed)
    assert line.flying_lap_s == pytest.approx(lap, rel=1e-9)
    np.testing.assert_allclose(line.speed, speed, rtol=1e-9)


def test_open_straight_matches_the_closed_form():
    """Standing start on 10 m: accelerate at 3 m/s^2 to 4 m/s over 8/3 m, then cruise."""
    x = np.linspace(0.0, 10.0, 51)
    track = make_track(np.stack([x, np.zeros_like(x)], axis=1), 0.8, "straight")
    line = compute_racing_line(track)
    assert not line.closed
    assert line.length_m == pytest.approx(10.0, abs=1e-6)
    assert np.abs(line.offsets).max() < 1e-6
    # (within one 0.15 m piece, where the car tops out part-way, the time is interpolated)
    assert line.best_lap_s == pytest.approx(4 / 3 + (10 - 8 / 3) / 4, rel=1e-4)
    assert line.flying_lap_s == pytest.approx(10 / 4, rel=1e-6)


def test_point_zero_is_on_the_start_line(track):
    line = compute_racing_line(track)
    tangent = track.seg_vec[0] / track.seg_len[0]
    along = (line.points[0] - track.center[0]) @ tangent
    assert abs(along) < 0.01
    assert line.s[0] == 0.0


def test_locate_finds_line_points_and_sides():
    line = compute_racing_line(hairpin_loop())
    s = np.linspace(0.0, line.length_m, 37, endpoint=False)
    pts = line.point_at(s)
    here = line.locate(pts)
    np.testing.assert_allclose(here.s, s, atol=1e-6)
    assert here.distance.max() < 1e-9
    np.testing.assert_allclose(here.speed, line.speed_at(s))
    off = line.locate(pts + 0.05 * line_normals(line, s))
    np.testing.assert_allclose(off.offset, 0.05, atol=0.005)
    off = line.locate(pts - 0.05 * line_normals(line, s))
    np.testing.assert_allclose(off.offset, -0.05, atol=0.005)


def test_results_are_cached_by_content_and_read_only():
    a = compute_racing_line(hairpin_loop())
    assert compute_racing_line(hairpin_loop()) is a  # a new Track object with the same array
    assert compute_racing_line(hairpin_loop(), max_speed=3.0) is not a
    assert compute_racing_line(hairpin_loop(), VehicleConfig(grip=3.0)).best_lap_s > a.best_lap_s
    with pytest.raises(ValueError):
        a.speed[0] = 0.0


def test_bundled_tracks_give_sane_lines():
    from sim.library import list_tracks, load_track

    infos = list_tracks()
    if not infos:
        pytest.skip("no bundled tracks")
    for info in infos:
        track = load_track(info.name)
        line = compute_racing_line(track)
        assert line.length_m < track.length
        assert line.length_m / 4.0 < line.flying_lap_s < line.best_lap_s < track.length
        pts = line.point_at(np.arange(0.0, line.length_m, 0.02))
        assert shapely.distance(track.road.boundary, shapely.points(pts)).min() >= CAR.body_width / 2

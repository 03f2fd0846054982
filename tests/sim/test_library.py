"""The track library: bundled tracks meet DeepRacer's ranges; importing into the user's home."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim import library, trackgen
from sim.library import import_track, list_tracks, load_track, track_summary
from sim.paths import bundled_tracks_dir, user_tracks_dir
from sim.track import TrackError, TrackInfo

REQUIRED = ["practice_oval", "workshop_loop", "beginner_loop", "technical_circuit",
            "workshop_loop_cup", "technical_circuit_cup"]
BUNDLED = sorted(p.stem for p in bundled_tracks_dir().glob("*.npy"))


def test_required_tracks_are_bundled_and_listed_first():
    infos = list_tracks()
    assert set(REQUIRED) <= set(BUNDLED)
    assert [i.name for i in infos] == BUNDLED
    assert all(i.source == "bundled" for i in infos)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_track_is_a_valid_deepracer_file(name):
    raw = np.load(bundled_tracks_dir() / f"{name}.npy", allow_pickle=False)
    assert raw.dtype == np.float64 and raw.ndim == 2 and raw.shape[1] == 6
    np.testing.assert_array_equal(raw[0], raw[-1])  # a closed loop repeats its first row

    track = load_track(name)
    assert track.closed
    assert 17.0 <= track.length <= 77.0
    assert 0.6 - 1e-9 <= track.widths.min() and track.widths.max() <= 1.07 + 1e-9
    spacing = track.seg_len
    assert 0.1 <= spacing.min() and spacing.max() <= 0.3
    assert track.on_road(track.center).all()

    meta = json.loads((bundled_tracks_dir() / f"{name}.json").read_text())
    assert meta["name"] == name == track.info.name
    assert track.info.display_name and len(track.info.description) > 40
    assert track.info.source == "bundled"


def test_competition_tracks_resemble_a_trainable_track():
    infos = {i.name: i for i in list_tracks()}
    cups = [i for i in infos.values() if not i.trainable]
    assert len(cups) >= 2
    for cup in cups:
        assert cup.resembles in infos, cup.name
        assert infos[cup.resembles].trainable
    assert infos["workshop_loop_cup"].resembles == "workshop_loop"
    assert infos["technical_circuit_cup"].resembles == "technical_circuit"


def test_workshop_loop_matches_the_reinvent_2018_proportions():
    track = load_track("workshop_loop")
    assert track.is_ccw and track.inner_is_left
    assert track.length == pytest.approx(17.7, abs=0.3)
    assert track.width == pytest.approx(0.76, abs=0.005)
    x0, y0, x1, y1 = track.bounds
    assert 6.5 <= x1 - x0 <= 7.5 and 4.0 <= y1 - y0 <= 5.0
    # Waypoint 0 lies on the start/finish straight along the bottom, heading +x.
    assert trackgen.turning_radii(track.center)[0] > 20.0
    assert abs(track.heading_at(np.array([0.0]))[0]) < 1e-6
    assert track.center[0, 1] == pytest.approx(track.center[:, 1].min(), abs=1e-6)
    # One right-hand bend among left-hand turns: the signed turn changes sign.
    heading = np.unwrap(np.arctan2(track.seg_vec[:, 1], track.seg_vec[:, 0]))
    turning = np.diff(heading)
    assert turning.min() < -0.05 and heading[-1] - heading[0] == pytest.approx(2 * np.pi, abs=0.2)


def test_bundled_files_are_what_trackgen_builds(tmp_path):
    """The committed files stay in step with the designs (rerun ``python -m sim.trackgen``)."""
    written = trackgen.write_tracks(tmp_path)
    assert sorted(p.stem for p in written) == BUNDLED
    for path in written:
        np.testing.assert_allclose(np.load(path), np.load(bundled_tracks_dir() / path.name), atol=1e-9)
        assert json.loads(path.with_suffix(".json").read_text()) == json.loads(
            (bundled_tracks_dir() / path.with_suffix(".json").name).read_text())


def test_trackgen_refuses_a_hairpin_too_tight_for_the_road():
    tight = trackgen.TrackDesign(
        TrackInfo("tight"),
        (trackgen.straight(3.0), trackgen.left(180, 0.3), trackgen.straight(6.0),
         trackgen.left(180, 0.3), trackgen.straight(3.0)),
        length_m=13.9, width_m=0.9)
    with pytest.raises(ValueError, match="radius"):
        trackgen.check_waypoints(trackgen.build_waypoints(tight), "tight")
    with pytest.raises(ValueError, match="360 degrees"):
        trackgen.layout_points((trackgen.straight(2.0), trackgen.left(270, 1.0)))


# -- looking tracks up ---------------------------------------------------------------------
def test_unknown_track_lists_the_available_names():
    with pytest.raises(TrackError) as err:
        load_track("monaco")
    assert "'monaco'" in str(err.value) and "workshop_loop" in str(err.value)
    with pytest.raises(TrackError):
        load_track("../tracks/workshop_loop")


def test_load_track_is_cached():
    assert load_track("practice_oval") is load_track("practice_oval")


def test_track_summary_reports_the_facts():
    summary = track_summary(load_track("technical_circuit_cup"))
    assert set(summary) == {"name", "display_name", "description", "length_m", "width_m", "min_width_m",
                            "max_width_m", "closed", "trainable", "resembles", "source", "waypoints"}
    assert summary["min_width_m"] < summary["width_m"] < summary["max_width_m"]
    assert summary["closed"] and not summary["trainable"] and summary["resembles"] == "technical_circuit"
    assert summary["waypoints"] == len(np.load(bundled_tracks_dir() / "technical_circuit_cup.npy"))
    json.dumps(summary)  # plain types only


# -- importing -------------------------------------------------------------------------------
def _track_file(tmp_path, bundled: str, shift: float = 0.0):
    """A DeepRacer file copied from a bundled track, moved ``shift`` m along x."""
    rows = np.load(bundled_tracks_dir() / f"{bundled}.npy") + np.tile([shift, 0.0], 3)
    path = tmp_path / f"{bundled}_copy.npy"
    np.save(path, rows)
    return path, rows


def test_import_round_trip(tmp_path, trackside_home):
    path, rows = _track_file(tmp_path, "beginner_loop", shift=3.0)
    track = import_track(path, "my_track", display_name="My Track", description="From the club.")
    assert track.name == "my_track" and track.info.source == "imported" and track.info.trainable

    folder = user_tracks_dir()
    assert folder.is_relative_to(trackside_home)
    assert sorted(p.name for p in folder.iterdir()) == ["my_track.json", "my_track.npy"]  # no temp files left
    np.testing.assert_array_equal(np.load(folder / "my_track.npy"), rows)

    infos = list_tracks()
    assert [i.name for i in infos] == BUNDLED + ["my_track"]
    mine = infos[-1]
    assert (mine.display_name, mine.description, mine.source, mine.trainable) == (
        "My Track", "From the club.", "imported", True)
    loaded = load_track("my_track")
    np.testing.assert_array_equal(loaded.waypoints, rows)
    assert track_summary(loaded)["source"] == "imported"


@pytest.mark.parametrize("bad", ["", "My Track", "with.dot", "../escape", "..", "a/b", "a\\b", ".hidden", "x" * 65,
                                 "NUL", "com1", "tab\tname", "new\nline", None, 7])
def test_import_refuses_bad_names(tmp_path, bad):
    path, _ = _track_file(tmp_path, "practice_oval")
    with pytest.raises(TrackError, match="not a valid track name"):
        import_track(path, bad)
    assert list(user_tracks_dir().iterdir()) == []


def test_import_refuses_to_shadow_a_bundled_track(tmp_path):
    path, _ = _track_file(tmp_path, "practice_oval", shift=1.0)
    with pytest.raises(TrackError, match="bundled"):
        import_track(path, "workshop_loop", overwrite=True)
    assert list(user_tracks_dir().iterdir()) == []


def test_import_refuses_duplicates_unless_overwrite(tmp_path):
    first, _ = _track_file(tmp_path, "practice_oval")
    second, rows = _track_file(tmp_path, "workshop_loop", shift=2.0)
    old = import_track(first, "club_track")
    assert load_track("club_track") is old
    with pytest.raises(TrackError, match="already exists"):
        import_track(second, "club_track")
    new = import_track(second, "club_track", overwrite=True)
    assert load_track("club_track") is new and new is not old  # the cache saw the new file
    np.testing.assert_array_equal(new.waypoints, rows)


def test_import_of_a_broken_file_names_it_and_writes_nothing(tmp_path):
    path = tmp_path / "scribble.npy"
    np.save(path, np.zeros((10, 4)))
    with pytest.raises(TrackError, match="scribble.npy"):
        import_track(path, "scribble")
    assert list(user_tracks_dir().iterdir()) == []


@pytest.mark.parametrize("damage", ["missing", "corrupt", "not_an_object"])
def test_missing_or_corrupt_sidecar_falls_back_to_defaults(tmp_path, damage):
    path, _ = _track_file(tmp_path, "practice_oval")
    import_track(path, "side-car", display_name="Fancy", description="Words.")
    sidecar = user_tracks_dir() / "side-car.json"
    if damage == "missing":
        sidecar.unlink()
    else:
        sidecar.write_text("{not json" if damage == "corrupt" else "[1, 2]")
    info = list_tracks()[-1]
    assert (info.name, info.display_name, info.description, info.trainable) == ("side-car", "Side Car", "", True)
    assert load_track("side-car").info.display_name == "Side Car"


def test_name_pattern_is_the_documented_one():
    assert library.NAME_PATTERN.fullmatch("workshop_loop-2")
    assert library.NAME_PATTERN.fullmatch("reInvent2019_track")
    assert not library.NAME_PATTERN.fullmatch("../Workshop")


@pytest.mark.parametrize("name", ["reInvent2019_track", "Tokyo_Training_track", "LGSWide", "2022_april_open"])
def test_deepracer_track_names_round_trip_as_they_are(tmp_path, name):
    path, rows = _track_file(tmp_path, "practice_oval", shift=1.5)
    track = import_track(path, name)
    assert track.name == name and track.info.display_name
    assert sorted(p.name for p in user_tracks_dir().iterdir()) == [f"{name}.json", f"{name}.npy"]
    assert [i.name for i in list_tracks()][-1] == name
    np.testing.assert_array_equal(load_track(name).waypoints, rows)
    # Case counts, on every file system: another case is no track, and no second file either.
    with pytest.raises(TrackError, match="no track named"):
        load_track(name.upper())
    with pytest.raises(TrackError, match=f"named {name!r} already exists"):
        import_track(path, name.swapcase(), overwrite=True)


def test_a_bundled_name_in_another_case_is_refused(tmp_path):
    path, _ = _track_file(tmp_path, "practice_oval", shift=1.0)
    with pytest.raises(TrackError, match="bundled track \\('workshop_loop'\\)"):
        import_track(path, "Workshop_Loop")
    assert list(user_tracks_dir().iterdir()) == []

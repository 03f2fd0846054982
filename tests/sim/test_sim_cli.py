"""The simulator's command line: JSON outputs, imports and clear errors."""

import json

import numpy as np
from click.testing import CliRunner

from gui.cli import main
from sim.params import PARAM_KEYS


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_tracks_list_json_is_one_document_with_the_fields():
    result = run("tracks", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    names = {r["name"] for r in rows}
    assert {"practice_oval", "workshop_loop"} <= names
    for r in rows:
        assert {"name", "length_m", "width_m", "closed", "trainable"} <= set(r)
    assert any(not r["trainable"] for r in rows)


def test_tracks_show_reports_a_plausible_best_lap():
    for name in ("practice_oval", "workshop_loop"):
        info = json.loads(run("tracks", "show", name, "--json").stdout)
        assert {"name", "length_m", "width_m", "racing_line_length_m", "best_lap_s"} <= set(info)
        assert info["racing_line_length_m"] / 4.0 < info["best_lap_s"] < info["length_m"] / 1.0
    slow = json.loads(run("tracks", "show", "workshop_loop", "--max-speed", "2", "--json").stdout)
    fast = json.loads(run("tracks", "show", "workshop_loop", "--json").stdout)
    assert slow["best_lap_s"] > fast["best_lap_s"]


def test_unknown_track_is_an_error_on_stderr():
    result = run("tracks", "show", "no_such_track", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no_such_track" in result.stderr and "Traceback" not in result.stderr


def test_import_a_deepracer_npy_and_see_it_listed(tmp_path):
    th = np.linspace(0, 2 * np.pi, 121)
    c = np.stack([4 * np.cos(th), 2.5 * np.sin(th)], 1)
    c[-1] = c[0]
    n = np.stack([np.cos(th) / 4, np.sin(th) / 2.5], 1)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    path = tmp_path / "club_track.npy"
    np.save(path, np.hstack([c, c - 0.4 * n, c + 0.4 * n]))
    result = run("tracks", "import", str(path), "--name", "club_track")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(run("tracks", "list", "--json").stdout)
    assert any(r["name"] == "club_track" and r["trainable"] for r in rows)
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((5, 4)))
    result = run("tracks", "import", str(bad), "--name", "bad_one")
    assert result.exit_code == 1 and "bad.npy" in result.stderr and "(N, 6)" in result.stderr


def test_reward_params_prints_exactly_the_params_dict():
    result = run("reward", "params", "--track", "workshop_loop", "--x", "4.4", "--y", "0.9", "--heading", "0",
                 "--speed", "2", "--steering", "-15", "--json")
    params = json.loads(result.stdout)
    assert set(params) == set(PARAM_KEYS)
    assert params["speed"] == 2 and params["steering_angle"] == -15 and params["all_wheels_on_track"]
    assert params["closest_objects"] == [0, 0] and params["objects_location"] == [] and not params["object_in_camera"]
    text = run("reward", "params", "--track", "workshop_loop", "--x", "4.4", "--y", "0.9", "--heading", "0").stdout
    for key in ("closest_objects", "objects_location", "objects_distance", "object_in_camera"):
        assert f"{key}:" in text  # the plain listing shows the object keys too


def test_reward_validate_passes_good_and_fails_bad_functions(tmp_path):
    from sim.paths import assets_dir

    good = assets_dir() / "reward_functions" / "centre_line_speed.py"
    assert run("reward", "validate", str(good)).exit_code == 0
    bad = tmp_path / "reward_function.py"
    bad.write_text("def reward_function(params):\n    if params['speed'] > 1\n        return 1.0\n")
    result = run("reward", "validate", str(bad), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["line"] == 2


def test_reward_params_with_objects_fills_the_object_keys():
    base = ("reward", "params", "--track", "workshop_loop", "--x", "4.4", "--y", "0.9", "--heading", "0")
    params = json.loads(run(*base, "--object", "5.4,0.9", "--object", "3.4,0.9,0,0.5", "--json").stdout)
    assert params["objects_location"] == [[5.4, 0.9], [3.4, 0.9]]
    assert params["objects_speed"] == [0.0, 0.5]
    assert sorted(params["closest_objects"]) == [0, 1]
    assert params["object_in_camera"]
    text = run(*base, "--object", "5.4,0.9").stdout
    assert "closest_objects:" in text and "[[5.4, 0.9]]" in text
    bad = run(*base, "--object", "5.4")
    assert bad.exit_code == 1 and "X,Y" in bad.stderr and "Traceback" not in bad.output
    assert run(*base, "--object", "a,b").exit_code == 1

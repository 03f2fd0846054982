"""Imports of DeepRacer's own models: a DeepRacer-for-Cloud folder, a console archive, the report they give."""

import io
import json
import os
import tarfile

import pytest
from click.testing import CliRunner

from gui.cli import main
from sim.actions import ActionSpace
from sim.library import import_track, load_track
from sim.paths import bundled_tracks_dir
from trainer import archive, reward_trust
from trainer.archive import ArchiveError, import_with_report
from trainer.dfc_import import (
    TF_WEIGHTS,
    TRACKSIDE_STATE,
    ParamsError,
    classify,
    read_training_params,
)
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore

META = ModelMetadata(ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["FRONT_FACING_CAMERA"]).to_json()
HP = {"batch_size": 128, "beta_entropy": 0.01, "discount_factor": 0.999, "e_greedy_value": 0.05,
      "epsilon_steps": 10000, "exploration_type": "categorical", "loss_type": "huber", "lr": 0.0003,
      "num_episodes_between_training": 20, "num_epochs": 10, "stack_size": 1, "term_cond_avg_score": 350.0,
      "term_cond_max_episodes": 1000}
REWARD = "def reward_function(params):\n    return 1.0 if params['all_wheels_on_track'] else 1e-3\n"
# As DeepRacer-for-Cloud's scripts/training/prepare-config.py writes it: yaml.dump(..., default_style="'").
PARAMS = """---
'ALTERNATE_DRIVING_DIRECTION': 'false'
'AWS_REGION': 'us-east-1'
'CAR_NAME': 'Bob''s car'
'CHANGE_START_POSITION': 'true'
'JOB_TYPE': 'TRAINING'
'METRICS_S3_OBJECT_KEY': 'rl-deepracer-sagemaker/metrics/TrainingMetrics.json'
'MODEL_METADATA_FILE_S3_KEY': 'custom_files/model_metadata.json'
'OBJECT_POSITIONS':
- '0.23,-1'
'RACE_TYPE': 'TIME_TRIAL'
'REVERSE_DIR': 'true'
'WORLD_NAME': '{world}'
"""
METRICS = {"metrics": [{"reward_score": 12.5, "metric_time": 1700000000000, "start_time": 1699999990000,
                        "elapsed_time_in_milliseconds": 10000, "episode": 1, "trial": 1, "phase": "training",
                        "completion_percentage": 34, "episode_status": "Off track"}],
           "version": "2", "best_model_metric": "progress"}
TRACE = ("episode,steps,X,Y,yaw,steer,throttle,action,reward,done,all_wheels_on_track,progress,closest_waypoint,"
         "track_len,tstamp,episode_status,pause_duration,obstacle_crash_counter,wall_clock\n"
         "0,1,0.3200,2.6900,-84.7000,0.00,1.00,2,1.0000,False,True,0.5000,1,17.71,0.067,in_progress,0.00,0,"
         "1700000000.1000\n")


def dfc_folder(root, world="reInvent2019_track"):
    """A model folder as DeepRacer-for-Cloud's training leaves it in S3 (tiny fake TensorFlow files)."""
    files = {
        "model/model_metadata.json": META, "model/model_12.pb": b"\x08\x01fake graph",
        "model/12_Step-3456.ckpt.index": b"\x00idx", "model/12_Step-3456.ckpt.meta": b"\x00meta",
        "model/12_Step-3456.ckpt.data-00000-of-00001": b"\x00" * 64,
        "model/checkpoint": b'model_checkpoint_path: "12_Step-3456.ckpt"\n',
        "model/deepracer_checkpoints.json": b'{"best_checkpoint": {"name": "12_Step-3456.ckpt"}}',
        "model/.coach_checkpoint": b"12_Step-3456.ckpt", "model/.ready": b"",
        "ip/hyperparameters.json": json.dumps(HP), "ip/done": b"", "reward_function.py": REWARD,
        "training_params.yaml": PARAMS.format(world=world), "metrics/TrainingMetrics.json": json.dumps(METRICS),
        "training-simtrace/0-iteration.csv": TRACE, "training-simtrace/1-iteration.csv": TRACE,
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


def _track(name):
    """An imported copy of a bundled track under DeepRacer's mixed-case ``name``."""
    return import_track(bundled_tracks_dir() / "practice_oval.npy", name)


def test_a_deepracer_for_cloud_folder_imports_as_a_draft_that_says_what_it_kept(tmp_path):
    _track("reInvent2019_track")
    report = import_with_report(dfc_folder(tmp_path / "rl-deepracer-sagemaker"), "dfc-model")
    m = report.model
    assert report.kind == "a DeepRacer model folder" and report.state == "draft"
    assert m.status().status == "draft" and m.list_checkpoints() == [] and m.pick_checkpoint() is None
    assert m.metadata().action_space.n == 15 and m.hyperparameters().batch_size == 128
    assert m.reward_source() == REWARD and not reward_trust.is_trusted(m.path)
    config = m.training_config()
    assert (config.track, config.reverse, config.alternate_direction, config.round_robin) == (
        "reInvent2019_track", True, False, True)
    load_track(config.track)  # the model can train on it
    # Training waits for the user to read and accept someone else's reward function, and only that.
    with pytest.raises(reward_trust.UntrustedRewardError, match="accept-reward dfc-model"):
        reward_trust.check_trusted(m.path, m.name)
    reward_trust.accept(m.path, reward_trust.read_for_review(m.path)[1])
    reward_trust.check_trusted(m.path, m.name)

    # Traces and metrics are kept where DeepRacer keeps them, inside imported/; TensorFlow is not.
    imported = m.path / "imported"
    assert json.loads((imported / "metrics" / "TrainingMetrics.json").read_text()) == METRICS
    assert (imported / "training-simtrace" / "1-iteration.csv").read_text() == TRACE
    assert (imported / "model" / "model_metadata.json").read_bytes() == META.encode()
    assert not list(m.path.rglob("*.pb")) and not list(m.path.rglob("*.ckpt*"))
    assert not (m.path / "training-simtrace" / "0-iteration.csv").exists()  # Trackside's own traces start empty

    text = "\n".join(report.lines())
    assert "as a draft: it starts untrained" in text
    skipped = {g.what: g.files for g in report.skipped}
    assert set(skipped[TF_WEIGHTS]) == {"model/model_12.pb", "model/12_Step-3456.ckpt.index",
                                        "model/12_Step-3456.ckpt.meta", "model/12_Step-3456.ckpt.data-00000-of-00001",
                                        "model/checkpoint", "model/deepracer_checkpoints.json",
                                        "model/.coach_checkpoint", "model/.ready"}
    assert f"{TF_WEIGHTS}" in text and "ip/done" in text
    kept = [f for g in report.kept for f in g.files]
    assert {"model/model_metadata.json", "ip/hyperparameters.json", "reward_function.py", "training_params.yaml",
            "metrics/TrainingMetrics.json", "training-simtrace/0-iteration.csv"} <= set(kept)
    assert "track: reInvent2019_track, from training_params.yaml (WORLD_NAME)" in text
    assert "reversed direction (from training_params.yaml REVERSE_DIR)" in text
    assert report.next_steps[0].startswith("trackside model accept-reward dfc-model")
    assert report.next_steps[1].startswith("trackside train dfc-model")


def test_the_imported_traces_open_in_deepracer_utils(tmp_path):
    from deepracer.logs import DeepRacerLog

    m = import_with_report(dfc_folder(tmp_path / "run"), "traced").model
    log = DeepRacerLog(str(m.path / "imported"))
    log.load_training_trace()
    df = log.dataframe()
    assert len(df) == 2 and set(df["iteration"]) == {0, 1}


def _tar(path, files, top=""):
    with tarfile.open(path, "w:gz") as tar:
        for rel, data in files.items():
            data = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(top + rel)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_console_archive_without_its_track_lands_on_the_default_and_says_so(tmp_path):
    # A console "virtual model" export, packed as one folder.
    files = {"model_metadata.json": META, "reward_function.py": REWARD, "hyperparameters.json": json.dumps(HP),
             "training_params.yaml": PARAMS.format(world="Tokyo_Training_track"),
             "model/.coach_checkpoint": "3_Step-1.ckpt", "model/3_Step-1.ckpt.index": b"\x00",
             "model/3_Step-1.ckpt.data-00000-of-00001": b"\x00" * 16, "model/model_3.pb": b"\x00",
             "metrics/training/training-20240101120000.json": json.dumps(METRICS), ".DS_Store": b"\x00"}
    report = import_with_report(_tar(tmp_path / "virtualmodel-tokyo.tar.gz", files, top="virtualmodel-tokyo/"))
    m = report.model
    assert m.name == "virtualmodel-tokyo" and report.kind == "a DeepRacer model archive"
    assert m.status().status == "draft" and m.training_config().track == "workshop_loop"
    text = "\n".join(report.lines())
    assert ("track: workshop_loop, Trackside's default: training_params.yaml (WORLD_NAME) names "
            "Tokyo_Training_track, which this home does not have") in text
    assert "trackside tracks import Tokyo_Training_track.npy; then" in text
    assert "trackside model track virtualmodel-tokyo Tokyo_Training_track" in text
    assert (m.path / "imported" / "metrics" / "training" / "training-20240101120000.json").is_file()
    assert ".DS_Store" in {f for g in report.skipped for f in g.files}
    assert not (m.path / ".DS_Store").exists()

    # The way out the report names works: import DeepRacer's file under its own name, point the model at it.
    npy = tmp_path / "Tokyo_Training_track.npy"
    npy.write_bytes((bundled_tracks_dir() / "practice_oval.npy").read_bytes())
    out = CliRunner().invoke(main, ["tracks", "import", str(npy)])
    assert out.exit_code == 0 and out.output.startswith("imported Tokyo_Training_track:")
    out = CliRunner().invoke(main, ["model", "track", m.name, "Tokyo_Training_track"])
    assert out.exit_code == 0 and ModelStore().get(m.name).training_config().track == "Tokyo_Training_track"


def test_a_physical_model_archive_without_reward_or_settings(tmp_path):
    report = import_with_report(_tar(tmp_path / "car.tar.gz", {"model_metadata.json": META,
                                                              "agent/model.pb": b"\x00graph"}), "car")
    assert report.state == "draft" and report.track == "workshop_loop"
    text = "\n".join(report.lines())
    assert "workshop_loop, Trackside's default: the import names no track" in text
    assert "agent/model.pb: " + TF_WEIGHTS in text
    assert "reward_function.py: none came with it" in text
    assert report.next_steps == ["trackside train car  (it starts untrained)"]


def test_the_cli_prints_the_report_and_a_trackside_export_keeps_its_track(tmp_path):
    run = CliRunner()
    out = run.invoke(main, ["model", "import", str(dfc_folder(tmp_path / "dfc")), "--name", "from-dfc"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("imported from-dfc from ") and "(a DeepRacer model folder) as a draft" in lines[0]
    assert {"kept:", "skipped:", "next:"} <= set(lines)
    assert any(line.startswith("track: workshop_loop, Trackside's default") for line in lines)
    assert "  trackside train from-dfc  (it starts untrained)" in lines
    # A Trackside export of it: the track comes from its training_config.json.
    assert run.invoke(main, ["model", "track", "from-dfc", "practice_oval"]).exit_code == 0
    exported = tmp_path / "from-dfc.tar.gz"
    assert run.invoke(main, ["model", "export", "from-dfc", "-o", str(exported)]).exit_code == 0
    out = run.invoke(main, ["model", "import", str(exported), "--name", "again", "--json"])
    report = json.loads(out.output)
    assert report["kind"] == "a Trackside export" and report["track"] == "practice_oval"
    assert report["track_how"] == "practice_oval, from the archive's training_config.json"
    bad = run.invoke(main, ["model", "track", "again", "No_Such_track"])
    assert bad.exit_code == 1 and "no track named 'No_Such_track'" in bad.output and "Traceback" not in bad.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links and pipes made as on Linux and macOS")
def test_links_pipes_and_sizes_in_a_folder_are_refused(tmp_path, monkeypatch):
    store = ModelStore()
    folder = dfc_folder(tmp_path / "links")
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    os.symlink(secret, folder / "reward_function.py.link")
    with pytest.raises(ArchiveError, match="reward_function.py.link: links are refused"):
        import_with_report(folder, "a", store=store)
    os.unlink(folder / "reward_function.py.link")
    os.symlink(tmp_path, folder / "metrics" / "elsewhere")
    with pytest.raises(ArchiveError, match="metrics/elsewhere: links are refused"):
        import_with_report(folder, "b", store=store)
    os.unlink(folder / "metrics" / "elsewhere")
    os.mkfifo(folder / "training-simtrace" / "2-iteration.csv")
    with pytest.raises(ArchiveError, match="2-iteration.csv: devices, pipes"):
        import_with_report(folder, "c", store=store)
    os.unlink(folder / "training-simtrace" / "2-iteration.csv")
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 100)
    with pytest.raises(ArchiveError, match=r"\.(json|yaml|csv): .* is over the"):
        import_with_report(folder, "d", store=store)
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 2**20)
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    with pytest.raises(ArchiveError, match="more than 10 entries"):
        import_with_report(folder, "e", store=store)
    assert list(store.root.iterdir()) == []
    monkeypatch.setattr(archive, "MAX_MEMBERS", 100)
    monkeypatch.setattr(archive, "MAX_KEPT_BYTES", 400)  # traces beyond it are reported, not kept
    report = import_with_report(folder, "f", store=store)
    over = next(g for g in report.skipped if g.what.startswith("over the"))
    assert over.files and all(not (report.model.path / "imported" / f).exists() for f in over.files)


def test_training_params_are_read_as_plain_text_never_run(tmp_path):
    params = read_training_params(PARAMS.format(world="reInvent2019_track"))
    assert params["WORLD_NAME"] == "reInvent2019_track" and params["CAR_NAME"] == "Bob's car"
    assert read_training_params('WORLD_NAME: "LGSWide"\n# note\nREVERSE_DIR: False\n') == {
        "WORLD_NAME": "LGSWide", "REVERSE_DIR": "False"}
    for bad in ["'WORLD_NAME': !!python/object/apply:os.system ['touch pwned']", "{'a': 1}", "WORLD_NAME: &x y",
                "just words"]:
        with pytest.raises(ParamsError, match="training_params.yaml: line 1"):
            read_training_params(bad)
    folder = dfc_folder(tmp_path / "evil")
    (folder / "training_params.yaml").write_text("'WORLD_NAME': !!python/name:os.system\n")
    with pytest.raises(ArchiveError, match="training_params.yaml: line 1"):
        import_with_report(folder, "evil")
    # A name that could leave the tracks folder is never looked up.
    (folder / "training_params.yaml").write_text("'WORLD_NAME': '../../etc/passwd'\n")
    report = import_with_report(folder, "sly")
    assert report.track == "workshop_loop" and "which is not a track name" in report.track_how


@pytest.mark.parametrize("rel, action", [
    ("model/model_7.pb", "skip"), ("model/7_Step-10.ckpt.index", "skip"), ("training-simtrace/3-iteration.csv", "keep"),
    ("training-simtrace/../x.csv", "skip"), ("metrics/.hidden.json", "skip"), ("training_params_2.yaml", "keep"),
    ("evaluation-20240101120000/evaluation-simtrace/0-iteration.csv", "keep"), ("ip/hyperparameters.json", "use"),
])
def test_classify(rel, action):
    assert classify(rel).action == action


def test_a_trackside_model_folder_says_how_to_carry_its_weights(tmp_path):
    first = import_with_report(dfc_folder(tmp_path / "dfc"), "first")
    first.model.write_checkpoint(0, {"agent": {}}, {})
    report = import_with_report(first.model.path, "second")
    why = {f: g.what for g in report.skipped for f in g.files}
    assert why["checkpoints/iteration-0000.pt"] == TRACKSIDE_STATE and why["status.json"] == TRACKSIDE_STATE
    assert report.model.training_config().track == first.model.training_config().track


def test_onnx_export_without_onnx_says_what_to_install(tmp_path, monkeypatch):
    import subprocess
    import sys

    from trainer.networks import build_agent
    from trainer.onnx_export import OnnxMissingError, export_onnx

    store = ModelStore()
    m = store.create("onnx-less", ModelMetadata(ActionSpace.from_console(2.0, 2, 20.0, 3), sensor=["LIDAR"]),
                     Hyperparameters(), REWARD)
    agent = build_agent((64,), m.metadata().action_space)
    m.write_checkpoint(0, {"agent": agent.state_dict(), "obs_shape": [64]}, {})
    runner = ("import sys; sys.modules['onnx'] = None\n"  # `import onnx` now fails as if it were not installed
              "from gui.cli import main\n"
              f"main(['model', 'export', 'onnx-less', '--onnx', '-o', {str(tmp_path / 'p.onnx')!r}])\n")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True, env=env, timeout=120,
                         check=False)
    assert out.returncode == 1
    want = "error: ONNX export needs the onnx package, which is not installed: pip install onnx"
    assert out.stderr.strip().splitlines() == [want]
    assert "Traceback" not in out.stdout + out.stderr and not (tmp_path / "p.onnx").exists()
    # The library call says the same, for any other front-end.
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(OnnxMissingError, match="pip install onnx"):
        export_onnx(m, tmp_path / "q.onnx")

"""Limits wherever a file decides the cost, and every read validated: archives, checkpoints,
metadata, hyperparameters and manifests. Bombs are refused quickly with little memory (peak
memory is the refusing process's own ``ru_maxrss``); one bad model never hides the others.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from gui.cli import main
from sim.actions import ActionSpace
from trainer.archive import ArchiveError, export_model, import_model
from trainer.checkpoints import MAX_CHECKPOINT_BYTES
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig
from trainer.networks import build_agent
from trainer.policy import PolicyError, load_policy

ROOT = Path(__file__).resolve().parents[2]
PEAK_KB = ("import resource\n"
           "def peak_kb():\n"
           "    # VmHWM: this program's own high-water mark (ru_maxrss also counts the parent's pages\n"
           "    # shared before exec, so a big test process would show through)\n"
           "    try:\n"
           "        for line in open('/proc/self/status'):\n"
           "            if line.startswith('VmHWM:'):\n"
           "                return int(line.split()[1])\n"
           "    except OSError:\n"
           "        pass\n"
           "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n")
REWARD = "def reward_function(params):\n    return 1.0\n"
LIDAR = ModelMetadata(ActionSpace.from_console(2.0, 2, 20.0, 3), sensor=["LIDAR"])


def _weights(meta: ModelMetadata = LIDAR, obs_shape=(64,), **extra) -> dict:
    agent = build_agent(obs_shape, meta.action_space)
    return {"agent": agent.state_dict(), "obs_shape": list(obs_shape), **extra}


def _model(store: ModelStore, name: str, state: dict | None = None, meta: ModelMetadata = LIDAR):
    m = store.create(name, meta, Hyperparameters(), REWARD, TrainingConfig(track="workshop_loop", n_cars=2))
    m.set_status("training")
    m.write_checkpoint(1, state or _weights(meta),
                       {"eval": {"progress": 100.0, "laps_completed": 1, "standing_start_s": 9.5}})
    m.set_final(1)
    m.set_status("ready")
    return m


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _archive(tmp_path: Path, **replace: bytes) -> Path:
    """A good model's exported archive with some members replaced."""
    good = _model(ModelStore(), "source")
    path = export_model(good, tmp_path / "good.tar.gz")
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    members.update({k.replace("__", "."): v for k, v in replace.items()})
    return _tar(tmp_path / "bad.tar.gz", members)


def _import_in_child(path: Path) -> tuple[str, float]:
    """``import_model`` in a fresh process: (its one-line outcome, its peak memory MB)."""
    code = (PEAK_KB +
            "from trainer.archive import ArchiveError, import_model\n"
            "try:\n"
            f"    import_model({str(path)!r}, 'bomb')\n"
            "    out = 'imported'\n"
            "except ArchiveError as exc:\n"
            "    out = 'refused: ' + str(exc)\n"
            "print(out)\n"
            "print(peak_kb())\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    outcome, kb = done.stdout.strip().splitlines()[-2:]
    return outcome, int(kb) / 1024


# -- checkpoints --------------------------------------------------------------------------------
def _zip_bomb(path: Path, tmp: Path) -> Path:
    """A real torch checkpoint holding 300 MB of zeros (never touched in memory: calloc'ed pages),
    repacked with its entries deflated: a few hundred KB that torch.load would unpack to 300 MB."""
    plain = tmp / "plain.pt"
    torch.save(_weights(pad=torch.zeros(MAX_CHECKPOINT_BYTES + 44 * 2**20, dtype=torch.uint8)), plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            packed = zipfile.ZipInfo(info.filename)
            packed.compress_type = zipfile.ZIP_DEFLATED
            with src.open(info) as fin, dst.open(packed, "w", force_zip64=True) as fout:
                while chunk := fin.read(1 << 22):
                    fout.write(chunk)
    plain.unlink()
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("bomb")
    return _zip_bomb(tmp / "weights.pt", tmp)


def test_a_compressed_checkpoint_bomb_in_an_archive_is_refused_with_little_memory(bomb, tmp_path):
    assert bomb.stat().st_size < 5 * 2**20
    archive = _tar(tmp_path / "bomb.tar.gz", {"model_metadata.json": LIDAR.to_json().encode(),
                                               "weights.pt": bomb.read_bytes()})
    outcome, peak_mb = _import_in_child(archive)
    print(f"checkpoint bomb ({archive.stat().st_size / 2**20:.1f} MB archive): peak {peak_mb:.0f} MB: {outcome}")
    assert outcome.startswith("refused: weights.pt: unpacks to 300 MB, over the 256 MB")
    assert peak_mb < 250  # torch.load gave it 300 MB on top of torch itself


def test_a_checkpoint_bomb_in_the_home_is_refused_before_torch_reads_it(bomb):
    m = _model(ModelStore(), "victim")
    m.checkpoint_path(1).write_bytes(bomb.read_bytes())
    with pytest.raises(PolicyError, match=r"checkpoints/iteration-0001.pt: unpacks to 300 MB"):
        load_policy(m)


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 truncated"])
def test_an_empty_or_truncated_checkpoint_is_one_line(data):
    m = _model(ModelStore(), "victim")
    m.checkpoint_path(1).write_bytes(data)
    with pytest.raises(PolicyError, match=r"iteration-0001.pt: refused: .*truncated") as err:
        load_policy(m)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("state, words", [
    (lambda: _weights(obs_shape=(60, 80)), r"readings of shape \[60, 80\], but .*\(LIDAR\) give \(64,\)"),
    (lambda: _weights(ModelMetadata(ActionSpace.from_console(), sensor=["LIDAR"])), "does not fit its action space"),
    (lambda: {"agent": {}, "obs_shape": [10**9]}, r"readings of shape \[1000000000\]"),
    (lambda: {"w": torch.zeros(4)}, "readings of shape None"),
])
def test_weights_that_do_not_fit_the_metadata_never_import_as_ready(tmp_path, state, words):
    buf = io.BytesIO()
    torch.save(state(), buf)
    path = _tar(tmp_path / "wrong.tar.gz", {"model_metadata.json": LIDAR.to_json().encode(),
                                             "weights.pt": buf.getvalue()})
    with pytest.raises(ArchiveError, match="weights.pt: refused, it does not fit model_metadata.json: .*" + words):
        import_model(path, "wrong")
    assert "wrong" not in ModelStore().names()


# -- metadata and hyperparameters ------------------------------------------------------------------
def _meta(actions) -> bytes:
    return json.dumps({"action_space": actions, "sensor": ["LIDAR"]}).encode()


def test_a_million_actions_is_refused_with_little_memory(tmp_path):
    rows = b",".join(b'{"steering_angle": 0, "speed": 1, "index": %d}' % i for i in range(10**6))
    archive = _tar(tmp_path / "million.tar.gz", {"model_metadata.json": b'{"action_space": [' + rows + b"]}"})
    outcome, peak_mb = _import_in_child(archive)
    print(f"million actions ({archive.stat().st_size / 2**10:.0f} KB archive): peak {peak_mb:.0f} MB: {outcome}")
    assert outcome.startswith("refused: model_metadata.json: ") and "over the 1 MB limit" in outcome
    assert peak_mb < 200  # it cost 6.5 GB per training iteration


@pytest.mark.parametrize("text, words", [
    (_meta([{"steering_angle": 0, "speed": 1}] * 1001), "action_space: 1001 actions is more than Trackside takes"),
    (_meta([{"steering_angle": 0, "speed": 1, "index": "0"}]), r"action_space\[0\].index: expected a whole number"),
    (b'{"action_space": [{"steering_angle": 1' + b"0" * 400 + b', "speed": 1}]}',
     r"action_space\[0\].steering_angle: expected a finite number"),
    (b'{"action_space": [{"steering_angle": 1e400, "speed": 1}]}',
     r"action_space\[0\].steering_angle: expected a finite number, got inf"),
    (b'{"action_space": [{"steering_angle": NaN, "speed": 1}]}',
     r"action_space\[0\].steering_angle: expected a finite number, got nan"),
    (_meta([{"speed": 1}]), r"action_space\[0\].steering_angle: missing"),
    (b'{"sensor": ["LIDAR"]}', "action_space: missing"),
    (_meta([{"steering_angle": 0, "speed": 1, "index": 0}, {"steering_angle": 5, "speed": 1, "index": 0}]),
     "action_space: the index fields must number the actions 0..1 once each"),
])
def test_broken_metadata_is_one_line_naming_the_file_and_field(tmp_path, text, words):
    with pytest.raises(ArchiveError, match="^model_metadata.json: " + words) as err:
        import_model(_tar(tmp_path / "m.tar.gz", {"model_metadata.json": text}), "m")
    assert "\n" not in str(err.value) and len(str(err.value)) < 300


@pytest.mark.parametrize("text, words", [
    (b'{"lr": 1' + b"0" * 400 + b"}", "lr: expected a finite number"),
    (b'{"batch_size": "64"}', "batch_size: expected a whole number, got '64'"),
    (b'{"num_epochs": 1e9}', r"num_epochs: must be in \[1, 100\]"),
    (b'{"discount_factor": NaN}', "discount_factor: expected a finite number"),
    (b'[64]', "expected a JSON object"),
])
def test_broken_hyperparameters_name_the_file_and_field(tmp_path, text, words):
    archive = _tar(tmp_path / "h.tar.gz", {"model_metadata.json": LIDAR.to_json().encode(),
                                            "hyperparameters.json": text})
    with pytest.raises(ArchiveError, match="^hyperparameters.json: " + words):
        import_model(archive, "h")


# -- manifests and the model list ------------------------------------------------------------------
@pytest.mark.parametrize("value, words", [([2], "eval.best_lap_s: expected seconds"),
                                          ("9.5", "eval.best_lap_s: expected seconds"),
                                          (1e308, "eval.best_lap_s: expected seconds")])
def test_a_bad_eval_in_the_manifest_is_refused_on_import(tmp_path, value, words):
    manifest = {"format": "trackside-model", "version": 1, "name": "x", "iteration": 1,
                "eval": {"progress": 100.0, "best_lap_s": value}}
    with pytest.raises(ArchiveError, match="^trackside.json: " + words):
        import_model(_archive(tmp_path, trackside__json=json.dumps(manifest).encode()), "x")


def test_one_bad_model_never_hides_the_others():
    store = ModelStore()
    _model(store, "good")
    for name, breaks in [("list-lap", lambda m: _edit_index(m, [2])), ("text-lap", lambda m: _edit_index(m, "9.5")),
                         ("huge-lap", lambda m: _edit_index(m, 1e308)),
                         ("bad-index", lambda m: m.index_path.write_text('{"checkpoints": 5, "best": "x"}')),
                         ("bad-status", lambda m: m.status_path.write_text("{not json")),
                         ("bad-meta", lambda m: m.metadata_path.write_text('{"action_space": [{"index": "a"}]}'))]:
        breaks(_model(store, name))
    result = CliRunner().invoke(main, ["model", "list", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout) if r["name"] != "standard"}
    assert set(rows) == {"good", "list-lap", "text-lap", "huge-lap", "bad-index", "bad-status", "bad-meta"}
    assert rows["good"]["status"] == "ready" and "problem" not in rows["good"]
    for name in ("list-lap", "text-lap", "huge-lap", "bad-index"):  # a broken lap is no lap, not a failure
        assert rows[name]["status"] == "ready" and "problem" not in rows[name], rows[name]
    assert "status.json" in rows["bad-status"]["problem"]
    assert "model_metadata.json: action_space[0]" in rows["bad-meta"]["problem"]
    text = CliRunner().invoke(main, ["model", "list"], catch_exceptions=False)
    assert text.exit_code == 0 and "-5.0" not in text.stdout and "good" in text.stdout
    for name in ("list-lap", "text-lap", "huge-lap", "bad-index"):  # the checkpoint table formats eval numbers
        shown = CliRunner().invoke(main, ["model", "show", name], catch_exceptions=False)
        assert shown.exit_code == 0 and "iteration    1" in shown.stdout, shown.output
    lines = {line.split()[0]: line for line in text.stdout.splitlines()[1:]}
    assert "problem: cannot read model folder: status.json" in lines["bad-status"]
    assert "problem: cannot read model folder: model_metadata.json: action_space[0]" in lines["bad-meta"]


def _edit_index(model, lap) -> None:
    index = json.loads(model.index_path.read_text())
    index["checkpoints"][0]["eval"].update(standing_start_s=lap, best_lap_s=lap)
    model.index_path.write_text(json.dumps(index))


def test_checkpoints_with_broken_index_entries_still_save_and_resolve():
    m = _model(ModelStore(), "m")
    _edit_index(m, [2])
    m.set_status("training")
    m.write_checkpoint(2, _weights(), {"eval": {"progress": 100.0, "laps_completed": 1, "best_lap_s": 8.0}})
    assert m.resolve_checkpoint("best") == m.checkpoint_path(2)

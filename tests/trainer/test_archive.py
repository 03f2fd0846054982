"""Export and import of model archives, and refusal of hostile ones."""

import io
import json
import pickle
import shutil
import tarfile

import pytest
import torch

import sim.paths
from sim.actions import ActionSpace
from trainer import archive
from trainer.archive import ArchiveError, export_model, import_model
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig

REWARD = "def reward_function(params):\n    return float(params['speed'])\n"


def _weights(model, obs_shape=(64,)):
    """A real agent's checkpoint dict for ``model``'s action space (a LIDAR reads 64 beams)."""
    from trainer.networks import build_agent

    agent = build_agent(obs_shape, model.metadata().action_space)
    return {"agent": agent.state_dict(), "obs_shape": list(obs_shape)}


@pytest.fixture
def trained():
    store = ModelStore()
    m = store.create("racer", ModelMetadata(ActionSpace.from_console(2.0, 2, 20.0, 3), sensor=["LIDAR"]),
                     Hyperparameters(lr=0.001), REWARD, TrainingConfig(track="reinvent_base", n_cars=3))
    m.set_status("training")
    m.write_checkpoint(0, _weights(m), {"eval": {"progress": 50.0, "laps_completed": 0}})
    m.write_checkpoint(1, {**_weights(m), "iteration": 1},
                       {"eval": {"progress": 100.0, "laps_completed": 3, "best_lap_s": 9.5,
                                                                          "first_lap_s": 9.75}})
    m.set_final(1)
    m.set_status("ready")
    return store, m


def test_export_import_round_trip(trained, tmp_path):
    store, m = trained
    path = export_model(m, tmp_path / "racer.tar.gz")
    with tarfile.open(path) as tar:
        assert sorted(tar.getnames()) == sorted(archive.KNOWN)
        assert all(i.isfile() and i.uid == 0 for i in tar.getmembers())
    new = import_model(path, "racer2", store=store)
    assert new.metadata() == m.metadata() and new.hyperparameters() == m.hyperparameters()
    assert new.reward_source() == REWARD and new.training_config().n_cars == 3
    assert new.status().status == "ready"
    state = new.load_checkpoint("final")
    want = m.load_checkpoint("final")["agent"]
    assert all(torch.equal(state["agent"][k], v) for k, v in want.items()) and state["iteration"] == 1
    assert new.info().best_lap_s == 9.75
    # The manifest's name is the default; it is taken, so the import says so.
    with pytest.raises(Exception, match="'racer' already exists"):
        import_model(path, store=store)
    assert [p.name for p in store.root.iterdir() if p.name.startswith(".")] == []


def test_the_model_description_travels_with_the_archive(trained, tmp_path):
    store, m = trained
    (m.path / archive.DESCRIPTION_FILE).write_text("centre line, 3 speeds, first try")
    new = import_model(export_model(m, tmp_path / "noted.tar.gz"), "noted", store=store)
    assert (new.path / archive.DESCRIPTION_FILE).read_text() == "centre line, 3 speeds, first try"


def test_standard_model_can_be_exported(tmp_path, monkeypatch, trained):
    store, m = trained
    shutil.copytree(m.path, tmp_path / "assets" / "standard_model")
    monkeypatch.setattr(sim.paths, "assets_dir", lambda: tmp_path / "assets")
    path = export_model(store.get("standard"), tmp_path / "std.tar.gz")
    with tarfile.open(path) as tar:
        assert json.load(tar.extractfile("trackside.json"))["name"] == "standard"
    mine = import_model(path, "mine", store=store)
    assert mine.metadata().sensor == ["LIDAR"] and not mine.info().read_only


def _tar(path, members):
    """members: (name, bytes) or a prepared TarInfo with bytes or None."""
    with tarfile.open(path, "w:gz") as tar:
        for item in members:
            if isinstance(item[0], tarfile.TarInfo):
                info, data = item
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
            else:
                name, data = item
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


META = ModelMetadata().to_json().encode()


def test_deepracer_style_archive_imports_as_a_draft(tmp_path):
    hp = {"batch_size": 128, "lr": 0.0005, "loss_type": "mean squared error"}
    path = _tar(tmp_path / "dr-model.tar.gz", [("model_metadata.json", META), ("model.pb", b"\x00tf graph"),
                                                 ("agent/model.pb", b"\x00"), ("model_12.pb", b"\x00"),
                                                 ("ip/hyperparameters.json", json.dumps(hp).encode()),
                                                 ("./checkpoint", b"model_checkpoint_path: x")])
    m = import_model(path)
    assert m.name == "dr-model" and m.status().status == "draft"
    assert m.hyperparameters().batch_size == 128 and "reward_function" in m.reward_source()
    assert m.list_checkpoints() == [] and m.pick_checkpoint() is None


def _info(name, kind, linkname="", size=0):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, linkname, size
    return info


@pytest.mark.parametrize("members, words", [
    ([("/etc/model_metadata.json", META)], "absolute"),
    ([("../model_metadata.json", META)], "'..'"),
    ([("model/../../evil.py", b"x"), ("model_metadata.json", META)], "'..'"),
    ([("C:/model_metadata.json", META)], "absolute"),
    ([(_info("model_metadata.json", tarfile.SYMTYPE, "/etc/passwd"), None)], "links are refused"),
    ([("model_metadata.json", META), (_info("weights.pt", tarfile.LNKTYPE, "model_metadata.json"), None)],
     "links are refused"),
    ([("model_metadata.json", META), (_info("weights.pt", tarfile.CHRTYPE), None)], "special files"),
    ([("model_metadata.json", META), (_info("fifo", tarfile.FIFOTYPE), None)], "special files"),
    ([("model_metadata.json", META), ("model/model_metadata.json", META.replace(b'"5"', b'"4"'))],
     "appears twice, with different contents"),
    ([("model_metadata.json", META), ("metrics/TrainingMetrics.json", b"{}"), ("metrics/TrainingMetrics.json", b"{}")],
     "metrics/TrainingMetrics.json: appears twice"),
    ([("hyperparameters.json", b"{}")], "model_metadata.json: missing"),
    ([("model_metadata.json", b'{"action_space": [{"steering_angle": 0, "speed": 9, "index": 0}]}')],
     r"model_metadata.json: action_space\[0\].speed"),
    ([("model_metadata.json", META), ("hyperparameters.json", b'{"learning_rate": 1}')],
     "did you mean 'lr'"),
    ([("model_metadata.json", META), ("reward_function.py", b"def reward_function(params)\n")],
     "reward_function.py: not valid Python"),
    ([("model_metadata.json", META), ("weights.pt", b"not a pickle at all")], "weights.pt: refused"),
])
def test_hostile_or_broken_archives_refused(tmp_path, members, words):
    path = _tar(tmp_path / "bad.tar.gz", members)
    store = ModelStore()
    with pytest.raises(ArchiveError, match=words):
        import_model(path, "victim", store=store)
    assert list(store.root.iterdir()) == []  # nothing half-imported left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tar.gz"]


def test_size_and_count_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 2000)
    big = _tar(tmp_path / "big.tar.gz", [("model_metadata.json", META), ("reward_function.py", b"#" * 3000)])
    with pytest.raises(ArchiveError, match="reward_function.py: .* over the"):
        import_model(big, "a")
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 2500)
    total = _tar(tmp_path / "total.tar.gz", [("model_metadata.json", META), ("reward_function.py", b"#" * 1900)])
    with pytest.raises(ArchiveError, match="in all"):
        import_model(total, "b")
    monkeypatch.setattr(archive, "MAX_MEMBERS", 64)
    many = _tar(tmp_path / "many.tar.gz", [("model_metadata.json", META)] +
                [(f"model_{i}.pb", b"") for i in range(archive.MAX_MEMBERS)])
    with pytest.raises(ArchiveError, match=f"more than {archive.MAX_MEMBERS} entries"):
        import_model(many, "c")
    with pytest.raises(ArchiveError, match="not a readable"):
        import_model(_write(tmp_path / "junk.tar.gz", b"junk"), "d")


def _write(path, data):
    path.write_bytes(data)
    return path


class _RunsCode:
    """Unpickling this would call exec, which creates the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


@pytest.mark.parametrize("form", ["raw pickle", "torch.save"])
def test_malicious_weights_never_run(tmp_path, form):
    marker = tmp_path / "PWNED"
    if form == "raw pickle":
        payload = pickle.dumps({"w": _RunsCode(marker)}, protocol=2)
    else:
        buf = io.BytesIO()
        torch.save({"w": _RunsCode(marker)}, buf)
        payload = buf.getvalue()
    path = _tar(tmp_path / "evil.tar.gz", [("model_metadata.json", META), ("weights.pt", payload)])
    with pytest.raises(ArchiveError, match="weights.pt: refused: .*may contain code"):
        import_model(path, "evil")
    assert not marker.exists()
    # Proof the payload is live: a plain unpickle would have run it.
    pickle.loads(pickle.dumps(_RunsCode(tmp_path / "control")))
    assert (tmp_path / "control").exists()


def test_unknown_files_are_skipped_never_copied_and_reported(tmp_path):
    indented = json.dumps(json.loads(META), indent=4).encode()  # the same file, written differently
    path = _tar(tmp_path / "odd.tar.gz", [("model_metadata.json", META), ("model/model_metadata.json", indented),
                                           ("run_me.sh", b"rm -rf ~"), ("notes/.secret", b"x")])
    report = archive.import_with_report(path, "odd")
    skipped = {f: g.what for g in report.skipped for f in g.files}
    assert skipped["run_me.sh"].startswith("not a file DeepRacer or Trackside writes")
    assert skipped["model/model_metadata.json"] == "the same file as model_metadata.json"
    assert "notes/.secret" in skipped
    assert not list(report.model.path.rglob("run_me.sh")) and not list(report.model.path.rglob(".secret"))

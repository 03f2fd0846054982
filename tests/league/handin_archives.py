"""Archives for the hand-in tests and bench: a good one (``trackside model export`` of a clone of the
standard model) and hostile ones, each built for real with ``tarfile``."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

from trainer.archive import export_model
from trainer.model_store import ModelStore


def good_archive(folder: Path, name: str = "mine") -> Path:
    """An exported clone of the standard model (with weights: it can race)."""
    store = ModelStore()
    model = store.get(name) if store.exists(name) else store.clone("standard", name)
    return export_model(model, folder / f"{name}.tar.gz")


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def hostile_archives(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (archive, a word its refusal must contain)."""
    meta = b'{"action_space": [], "sensor": ["LIDAR"]}'
    link = tarfile.TarInfo("model_metadata.json")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    device = tarfile.TarInfo("weights.pt")
    device.type, device.devmajor, device.devminor = tarfile.CHRTYPE, 1, 3
    huge = tarfile.TarInfo("weights.pt")  # the header claims 300 MB; the check refuses it before reading
    huge.size = 300 * 2**20
    huge_path = folder / "huge.tar.gz"
    with gzip.open(huge_path, "wb") as fh:
        fh.write(huge.tobuf(format=tarfile.GNU_FORMAT))
    garbage = folder / "garbage.tar.gz"
    garbage.write_bytes(os.urandom(64 * 1024))
    return {
        "traversal": (_tar(folder / "traversal.tar.gz", [_file("../../evil.py", b"x = 1"),
                                                          _file("model_metadata.json", meta)]), ".."),
        "absolute": (_tar(folder / "absolute.tar.gz", [_file("/etc/evil.py", b"x = 1")]), "absolute"),
        "symlink": (_tar(folder / "symlink.tar.gz", [(link, None)]), "links"),
        "device": (_tar(folder / "device.tar.gz", [_file("model_metadata.json", meta), (device, None)]), "devices"),
        "huge": (huge_path, "limit"),
        "garbage": (garbage, "not a readable"),
    }


def padded_archive(folder: Path, total_bytes: int, name: str = "padded") -> Path:
    """A good archive plus a DeepRacer training trace of random bytes (kept in the model's imported/ folder), so the whole is ``total_bytes``
    and every byte must be unpacked to check it (random bytes do not compress)."""
    good = good_archive(folder, name)
    with tarfile.open(good, "r:gz") as src:
        members = [(m, src.extractfile(m).read()) for m in src]
    pad = max(0, total_bytes - good.stat().st_size)
    members.append(_file("training-simtrace/0-iteration.csv", os.urandom(pad)))
    out = folder / f"{name}-{total_bytes // 2**20}MB.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=1) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data))
    return out

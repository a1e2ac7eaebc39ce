"""The data layer: root resolution, every layout, and the errors that tell a user what to do."""

import dataclasses
import functools
import hashlib
import http.server
import io
import os
import pickle
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alexnet_edu import data
from alexnet_edu.cli import main as cli_main

WNIDS = [c.wnid for c in data.IMAGENETTE_CLASSES]


def _jpeg(path: Path, color=(200, 30, 30), mode="RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (8, 8), color if mode == "RGB" else color[0]).save(path, format="JPEG")


def _image_tree(folder: Path, split: str, classes, per_class: int = 2) -> None:
    for c, name in enumerate(classes):
        for i in range(per_class):
            _jpeg(folder / split / name / f"img_{i}.JPEG", color=(c * 20, 0, 0))


@pytest.fixture
def small_counts(monkeypatch):
    """Shrink the official image counts so fabricated trees of 2 images per class are complete."""
    counts = {
        ("imagenette", "train"): 20, ("imagenette", "val"): 20,
        ("cifar10", "train"): 20, ("cifar10", "test"): 20,
        ("imagenet", "train"): 6, ("imagenet", "val"): 6,
    }
    monkeypatch.setattr(data, "EXPECTED_IMAGES", counts)
    monkeypatch.setattr(data, "IMAGENET_NUM_CLASSES", 3)
    return counts


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(data.DATA_ENV, raising=False)


# --- root resolution -------------------------------------------------------------------------

def test_root_argument_wins_over_environment_and_default(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "from_env"))
    monkeypatch.chdir(tmp_path)
    root, how = data.resolve_root(tmp_path / "from_arg")
    assert root == tmp_path / "from_arg" and "argument" in how


def test_environment_wins_over_default(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "from_env"))
    monkeypatch.chdir(tmp_path)
    root, how = data.resolve_root()
    assert root == tmp_path / "from_env" and data.DATA_ENV in how


def test_default_is_data_in_the_working_directory(tmp_path, monkeypatch, no_env):
    monkeypatch.chdir(tmp_path)
    root, how = data.resolve_root()
    assert root == tmp_path / "data" and "default" in how


def test_load_dataset_reads_from_the_resolved_root(tmp_path, monkeypatch, small_counts):
    _image_tree(tmp_path / "env" / "imagenette2-160", "val", WNIDS)
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "env"))
    assert Path(data.load_dataset("imagenette", "val").root).parent == tmp_path / "env" / "imagenette2-160"
    with pytest.raises(data.DataNotFoundError):  # the argument beats the variable, even when empty
        data.load_dataset("imagenette", "val", root=tmp_path / "elsewhere")


# --- layouts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("folder", ["imagenette2", "imagenette2-320", "imagenette2-160", "imagenette2-224"])
def test_every_imagenette_layout(tmp_path, folder, small_counts):
    _image_tree(tmp_path / folder, "train", WNIDS)
    ds = data.load_dataset("imagenette", "train", root=tmp_path)
    assert len(ds) == 20
    image, label = ds[5]
    assert isinstance(image, Image.Image) and image.mode == "RGB"
    assert type(label) is int and label == 2  # sorted wnids: the 3rd class holds images 4 and 5
    assert ds.classes == WNIDS


def test_official_imagenette_is_preferred_over_the_offline_copy(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-224", "train", WNIDS)
    _image_tree(tmp_path / "imagenette2-320", "train", WNIDS)
    assert "imagenette2-320" in data.load_dataset("imagenette", "train", root=tmp_path).root


def test_transform_is_applied(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-224", "train", WNIDS)
    ds = data.load_dataset("imagenette", "train", root=tmp_path, transform=lambda im: np.asarray(im).shape)
    assert ds[0][0] == (8, 8, 3)


def test_grayscale_images_come_out_rgb(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-224", "train", WNIDS)
    gray = tmp_path / "imagenette2-224" / "train" / WNIDS[0] / "img_0.JPEG"
    _jpeg(gray, color=(90,), mode="L")
    image, _ = data.load_dataset("imagenette", "train", root=tmp_path)[0]
    assert image.mode == "RGB" and np.asarray(image).shape == (8, 8, 3)


def test_cifar10_jpeg_copy(tmp_path, small_counts):
    _image_tree(tmp_path / "cifar10-jpeg", "test", data.CIFAR10_CLASSES)
    ds = data.load_dataset("cifar10", "test", root=tmp_path)
    assert len(ds) == 20 and ds[19][1] == 9 and ds.classes == list(data.CIFAR10_CLASSES)


def _cifar_batches(folder: Path) -> None:
    """Files in the format of torchvision's cifar-10-batches-py: pickled dicts of uint8 rows."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        labels = [(i + j) % 10 for j in range(4)]
        batch = {"data": rng.integers(0, 256, (4, 3 * 32 * 32), dtype=np.uint8), "labels": labels}
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": list(data.CIFAR10_CLASSES)}))


def test_cifar10_official_batches(tmp_path):
    _cifar_batches(tmp_path / "cifar-10-batches-py")
    train = data.load_dataset("cifar10", "train", root=tmp_path, verify=False)
    test = data.load_dataset("cifar10", "test", root=tmp_path, verify=False)
    assert (len(train), len(test)) == (20, 4) and train.classes == list(data.CIFAR10_CLASSES)
    image, label = test[1]
    assert image.mode == "RGB" and image.size == (32, 32) and label == 6  # test_batch: (5 + 1) % 10
    # a row holds the red plane, then the green, then the blue, each row by row (the format's documentation)
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "rb") as f:
        row = pickle.load(f)["data"][1]
    assert np.asarray(image)[2, 5].tolist() == [row[2 * 32 + 5], row[1024 + 2 * 32 + 5], row[2048 + 2 * 32 + 5]]
    assert train.data.shape == (20, 32, 32, 3) and train.targets[:4] == [0, 1, 2, 3]


def test_cifar10_batches_count_as_complete_only_with_the_official_number_of_images(tmp_path):
    _cifar_batches(tmp_path / "cifar-10-batches-py")
    with pytest.raises(data.DataNotFoundError, match="20 images instead of 50,000") as err:
        data.load_dataset("cifar10", "train", root=tmp_path)
    assert "python -m alexnet_edu download cifar10" in str(err.value)


def test_a_damaged_cifar10_batch_is_reported(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    _cifar_batches(folder)
    (folder / "data_batch_3").write_bytes((folder / "data_batch_3").read_bytes()[:1000])  # cut off
    with pytest.raises(data.DataNotFoundError, match="missing or damaged") as err:
        data.load_dataset("cifar10", "train", root=tmp_path, verify=False)
    assert "Run the download again" in str(err.value)


@pytest.mark.parametrize("folder", ["imagenet", "ILSVRC2012"])
def test_imagenet_wnid_folders(tmp_path, folder, small_counts):
    wnids = ["n01440764", "n01443537", "n01484850"]
    _image_tree(tmp_path / folder, "val", wnids)
    ds = data.load_dataset("imagenet", "val", root=tmp_path)
    assert len(ds) == 6 and ds.classes == wnids and ds[2][1] == 1


def test_imagenet_archives_are_unpacked_with_torchvision(tmp_path, monkeypatch, small_counts):
    folder = tmp_path / "imagenet"
    folder.mkdir()
    for archive in ("ILSVRC2012_devkit_t12.tar.gz", "ILSVRC2012_img_val.tar"):
        (folder / archive).write_bytes(b"stand-in")
    calls = []

    def fake_imagenet(root, split):  # what torchvision.datasets.ImageNet leaves behind
        calls.append((root, split))
        _image_tree(Path(root), split, ["n01440764", "n01443537", "n01484850"])

    monkeypatch.setattr("torchvision.datasets.ImageNet", fake_imagenet)
    assert len(data.load_dataset("imagenet", "val", root=tmp_path)) == 6
    assert calls == [(str(folder), "val")]


def test_imagenet_flat_validation_folder_explains_the_devkit(tmp_path, small_counts):
    for i in range(3):
        _jpeg(tmp_path / "imagenet" / "val" / f"ILSVRC2012_val_0000000{i}.JPEG")
    with pytest.raises(data.DataNotFoundError, match="devkit"):
        data.load_dataset("imagenet", "val", root=tmp_path)


def test_imagenet_with_too_few_classes_is_incomplete(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenet", "train", ["n01440764", "n01443537"], per_class=3)
    with pytest.raises(data.DataNotFoundError, match="2 class folders instead of 3"):
        data.load_dataset("imagenet", "train", root=tmp_path)
    with pytest.warns(UserWarning, match="not ImageNet-1k class indices"):
        assert len(data.load_dataset("imagenet", "train", root=tmp_path, verify=False)) == 6


# --- errors ----------------------------------------------------------------------------------

def test_empty_root_names_every_folder_searched_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_dataset("imagenette", "train")
    message = str(err.value)
    assert str(tmp_path) in message and data.DATA_ENV in message
    for layout in data.LAYOUTS["imagenette"]:
        assert str(tmp_path / layout.folder) in message
    assert f"python -m alexnet_edu download imagenette --root {tmp_path}" in message
    assert isinstance(err.value, FileNotFoundError)


def test_missing_imagenet_says_how_to_obtain_it(tmp_path):
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_dataset("imagenet", "train", root=tmp_path)
    message = str(err.value)
    assert "image-net.org" in message and "ILSVRC2012_img_train.tar" in message
    assert str(tmp_path / "imagenet") in message and str(tmp_path / "ILSVRC2012") in message


def test_a_missing_class_folder_is_named(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-320", "train", WNIDS[:-1])
    with pytest.raises(data.DataNotFoundError, match=f"class folders missing: {WNIDS[-1]}"):
        data.load_dataset("imagenette", "train", root=tmp_path)


def test_an_empty_class_folder_is_incomplete(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-320", "train", WNIDS)
    for f in (tmp_path / "imagenette2-320" / "train" / WNIDS[3]).iterdir():
        f.unlink()
    with pytest.raises(data.DataNotFoundError, match="incomplete"):
        data.load_dataset("imagenette", "train", root=tmp_path)


def test_a_short_split_reports_the_counts(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-320", "train", WNIDS)
    (tmp_path / "imagenette2-320" / "train" / WNIDS[0] / "img_0.JPEG").unlink()
    with pytest.raises(data.DataNotFoundError, match="19 images instead of 20") as err:
        data.load_dataset("imagenette", "train", root=tmp_path)
    assert "Run the download again" in str(err.value)
    assert f"python -m alexnet_edu download imagenette --root {tmp_path}" in str(err.value)


def test_a_missing_split_folder_is_incomplete(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-320", "train", WNIDS)
    with pytest.raises(data.DataNotFoundError, match="no val/ folder"):
        data.load_dataset("imagenette", "val", root=tmp_path)


@pytest.mark.parametrize(
    "name, split, words",
    [("mnist", "train", "unknown dataset 'mnist'"), ("imagenette", "test", "'train', 'val'"),
     ("cifar10", "val", "use 'test'")],
)
def test_unknown_names_and_splits(name, split, words):
    with pytest.raises(ValueError, match=words):
        data.load_dataset(name, split)


def test_class_metadata_is_consistent():
    assert WNIDS == sorted(WNIDS)  # ImageFolder's label order is the order of the table
    indices = [c.imagenet_index for c in data.IMAGENETTE_CLASSES]
    assert indices == sorted(indices) and len(set(indices)) == 10
    assert data.imagenette_to_imagenet(1) == 217 and data.imagenette_class_names()[1] == "English springer"
    with pytest.raises(ValueError):
        data.imagenette_to_imagenet(10)


# --- downloads: the real code, from a local HTTP server (no internet needed) ----------------------

def _imagenette_archive(tmp_path: Path, folder: str = "imagenette2-160", drop: int = 0) -> bytes:
    """A .tgz like Imagenette's official one, 2 images per class (``drop`` images fewer in val)."""
    src = tmp_path / "src" / folder
    for split in ("train", "val"):
        _image_tree(src, split, WNIDS)
    for path in sorted((src / "val").rglob("*.JPEG"))[:drop]:
        path.unlink()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(src, arcname=folder)
    return buffer.getvalue()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve(tmp_path, monkeypatch):
    """Serve files from a temporary folder on localhost and point an entry of data.ARCHIVES at one."""
    www = tmp_path / "www"
    www.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    requests = []

    def install(key, payload: bytes, md5: str = None) -> str:
        name = data.ARCHIVES[key].filename
        (www / name).write_bytes(payload)
        url = f"http://127.0.0.1:{server.server_port}/{name}"
        requests.append(url)
        monkeypatch.setitem(data.ARCHIVES, key, dataclasses.replace(
            data.ARCHIVES[key], url=url, md5=md5 or hashlib.md5(payload).hexdigest()))
        return url

    install.requests = requests
    yield install
    server.shutdown()
    server.server_close()


@pytest.fixture
def offline(monkeypatch):
    """Every archive's URL points at a port where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for key, archive in list(data.ARCHIVES.items()):
        monkeypatch.setitem(data.ARCHIVES, key, dataclasses.replace(
            archive, url=f"http://127.0.0.1:{port}/{archive.filename}"))


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".") or p.suffix in (".part", ".tgz", ".gz"))


def test_download_checks_the_md5_unpacks_and_leaves_nothing_else(tmp_path, serve, small_counts, capsys):
    serve(("imagenette", "160"), _imagenette_archive(tmp_path))
    root = tmp_path / "root"
    assert cli_main(["download", "imagenette", "--size", "160", "--root", str(root), "--quiet"]) == 0
    assert len(data.load_dataset("imagenette", "val", root=root)) == 20
    assert "imagenette is ready" in capsys.readouterr().out
    assert sorted(p.name for p in root.iterdir()) == ["imagenette2-160"]  # no archive, no temporary files


def test_a_corrupted_archive_is_refused_before_anything_is_unpacked(tmp_path, serve, small_counts, capsys):
    good = _imagenette_archive(tmp_path)
    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0xFF
    serve(("imagenette", "160"), bytes(damaged), md5=hashlib.md5(good).hexdigest())
    root = tmp_path / "root"
    assert cli_main(["download", "imagenette", "--size", "160", "--root", str(root), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "does not match its published MD5 checksum" in err and "Run the same command again" in err
    assert list(root.iterdir()) == []  # nothing unpacked, no partial download


def test_an_archive_that_unpacks_incomplete_leaves_nothing_half_unpacked(tmp_path, serve, small_counts):
    serve(("imagenette", "160"), _imagenette_archive(tmp_path, drop=3))  # its own MD5: a faithful transfer
    root = tmp_path / "root"
    with pytest.raises(data.DownloadError, match="unpacked to an incomplete imagenette2-160/ .*nothing was kept"):
        data.download("imagenette", root=root, size="160", progress=False)
    assert list(root.iterdir()) == []


def test_an_interrupted_unpacking_leaves_nothing_behind(tmp_path, serve, small_counts, monkeypatch):
    serve(("imagenette", "160"), _imagenette_archive(tmp_path))
    root = tmp_path / "root"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while the unpacked folder is being checked

    monkeypatch.setattr(data, "_read", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.download("imagenette", root=root, size="160", progress=False)
    assert list(root.iterdir()) == []


def test_download_keeps_a_complete_folder_and_replaces_an_incomplete_one(tmp_path, serve, small_counts):
    url = serve(("imagenette", "160"), _imagenette_archive(tmp_path))
    root = tmp_path / "root"
    _image_tree(root / "imagenette2-160", "train", WNIDS)
    _image_tree(root / "imagenette2-160", "val", WNIDS)
    marker = root / "imagenette2-160" / "train" / WNIDS[0] / "img_0.JPEG"
    before = marker.stat().st_mtime_ns
    assert data.download("imagenette", root=root, size="160", progress=False) == root / "imagenette2-160"
    assert marker.stat().st_mtime_ns == before  # already complete: left as it is
    (root / "imagenette2-160" / "val" / WNIDS[4] / "img_1.JPEG").unlink()  # damaged after its download
    data.download("imagenette", root=root, size="160", progress=False)
    assert len(data.load_dataset("imagenette", "val", root=root)) == 20
    assert sorted(p.name for p in root.iterdir()) == ["imagenette2-160"] and url


def test_without_network_the_error_names_the_url_the_file_and_its_size(tmp_path, offline, capsys):
    assert cli_main(["download", "imagenette", "--root", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    archive = data.ARCHIVES[("imagenette", "320")]
    assert archive.url in err and "imagenette2-320.tgz, 342 MB" in err
    assert "copy it into" in err and str(tmp_path) in err  # the way without internet
    assert list(tmp_path.iterdir()) == []


def test_an_archive_put_in_the_data_root_by_hand_is_checked_used_and_kept(tmp_path, offline, small_counts, monkeypatch):
    payload = _imagenette_archive(tmp_path)
    key = ("imagenette", "160")
    monkeypatch.setitem(data.ARCHIVES, key, dataclasses.replace(data.ARCHIVES[key], md5=hashlib.md5(payload).hexdigest()))
    root = tmp_path / "root"
    root.mkdir()
    (root / "imagenette2-160.tgz").write_bytes(payload[:-10])  # a cut-off copy is refused
    with pytest.raises(data.DownloadError, match="does not match the published MD5"):
        data.download("imagenette", root=root, size="160", progress=False)
    (root / "imagenette2-160.tgz").write_bytes(payload)
    data.download("imagenette", root=root, size="160", progress=False)
    assert sorted(p.name for p in root.iterdir()) == ["imagenette2-160", "imagenette2-160.tgz"]


def test_if_missing_keeps_any_complete_copy_and_fetches_only_what_is_missing(tmp_path, serve, small_counts, capsys):
    serve(("cifar10", None), b"never fetched")
    _image_tree(tmp_path / "imagenette2-224", "train", WNIDS)
    _image_tree(tmp_path / "imagenette2-224", "val", WNIDS)
    _image_tree(tmp_path / "cifar10-jpeg", "train", data.CIFAR10_CLASSES)
    _image_tree(tmp_path / "cifar10-jpeg", "test", data.CIFAR10_CLASSES)
    assert cli_main(["download", "imagenette", "cifar10", "--if-missing", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "offline ImageFolder copy, 224×224 squashed" in out and "re-encoded as JPEG" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar10-jpeg", "imagenette2-224", "www"]


def test_download_imagenet_prints_instructions_and_succeeds(tmp_path, capsys):
    assert cli_main(["download", "imagenet", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "cannot be downloaded automatically" in out and str(tmp_path / "imagenet") in out


def test_where_lists_each_dataset(tmp_path, small_counts, capsys):
    _image_tree(tmp_path / "cifar10-jpeg", "train", data.CIFAR10_CLASSES)
    assert cli_main(["where", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "cifar10-jpeg") in out and "download imagenette" in out


# --- the real offline copies (CI has them in ../shared/data) ----------------------------------

SHARED = Path(os.environ.get(data.DATA_ENV) or Path(__file__).resolve().parents[2] / "shared" / "data")
needs_shared = pytest.mark.skipif(
    not (SHARED / "imagenette2-224").is_dir() or not (SHARED / "cifar10-jpeg").is_dir(),
    reason=f"the offline copies are not in {SHARED} (set {data.DATA_ENV})",
)


@needs_shared
@pytest.mark.parametrize(
    "name, split, count",
    [("imagenette", "train", 9_469), ("imagenette", "val", 3_925), ("cifar10", "train", 50_000), ("cifar10", "test", 10_000)],
)
def test_offline_copies_have_the_official_counts(name, split, count):
    ds = data.load_dataset(name, split, root=SHARED)
    assert len(ds) == count
    image, label = ds[len(ds) // 2]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and type(label) is int


@needs_shared
def test_offline_imagenette_labels_and_transform():
    ds = data.load_dataset("imagenette", "val", root=SHARED, transform=lambda im: im.size)
    assert ds.classes == WNIDS
    assert ds[0] == ((224, 224), 0)
    assert ds[len(ds) - 1][1] == 9


def test_download_into_a_file_is_refused(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert cli_main(["download", "cifar10", "--root", str(afile)]) == 1
    assert "is a file" in capsys.readouterr().err
    with pytest.raises(data.DataNotFoundError, match="is a file, not a folder"):
        data.load_dataset("cifar10", "train", root=afile)


def test_download_size_is_for_imagenette_only(tmp_path, capsys):
    assert cli_main(["download", "cifar10", "--size", "160", "--root", str(tmp_path)]) == 2  # a usage error
    assert "Imagenette only" in capsys.readouterr().err


def test_an_incomplete_first_copy_names_the_others(tmp_path, small_counts):
    (tmp_path / "imagenette2").mkdir()
    _image_tree(tmp_path / "imagenette2-224", "train", WNIDS)
    with pytest.raises(data.DataNotFoundError, match="Other copies in the same root were not used") as err:
        data.load_dataset("imagenette", "train", root=tmp_path)
    assert str(tmp_path / "imagenette2-224") in str(err.value)


def test_a_dataset_folder_given_as_root_points_at_its_parent(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-224", "train", WNIDS)
    with pytest.raises(data.DataNotFoundError, match="pass its parent folder"):
        data.load_dataset("imagenette", "train", root=tmp_path / "imagenette2-224")


def test_stray_folders_are_to_be_moved_not_the_dataset_deleted(tmp_path, small_counts):
    _image_tree(tmp_path / "imagenette2-320", "train", WNIDS)
    (tmp_path / "imagenette2-320" / "train" / ".ipynb_checkpoints").mkdir()
    with pytest.raises(data.DataNotFoundError, match="Move the unexpected folders out") as err:
        data.load_dataset("imagenette", "train", root=tmp_path)
    assert "Delete" not in str(err.value)


def test_default_root_from_a_chapter_folder_is_the_checkouts_data(tmp_path, monkeypatch, no_env):
    (tmp_path / "_config.yml").write_text("title: x\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "book").mkdir()
    monkeypatch.chdir(tmp_path / "book")
    root, how = data.resolve_root()
    assert root == tmp_path / "data" and "checkout" in how


def test_imagenette_table_matches_torchvision_metadata():
    from torchvision.datasets import Imagenette
    from torchvision.models import AlexNet_Weights

    categories = AlexNet_Weights.IMAGENET1K_V1.meta["categories"]  # metadata only, nothing downloaded
    for c in data.IMAGENETTE_CLASSES:
        assert categories[c.imagenet_index] == Imagenette._WNID_TO_CLASS[c.wnid][0] == c.name


@pytest.mark.parametrize("member", ["../escaped.txt", "/tmp/alexnet-edu-absolute-escape.txt", "link-out"])
def test_an_archive_with_members_outside_its_folder_is_refused(tmp_path, serve, small_counts, member):
    """A crafted archive, with its published MD5 (the server's file is the attack): a member that climbs
    out of the target (../), an absolute path, or a link that points outside is refused, and nothing is
    written anywhere."""
    src = tmp_path / "src" / "imagenette2-160"
    for split in ("train", "val"):
        _image_tree(src, split, WNIDS)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(src, arcname="imagenette2-160")
        info = tarfile.TarInfo(member)
        if member == "link-out":  # inside the folder, pointing out of it
            info.name, info.type, info.linkname = "imagenette2-160/link-out", tarfile.SYMTYPE, "../../../outside"
            tar.addfile(info)
        else:
            payload = b"should never be written"
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    serve(("imagenette", "160"), buffer.getvalue())
    root = tmp_path / "root"
    with pytest.raises(data.DownloadError, match="outside imagenette2-160/|cannot be unpacked"):
        data.download("imagenette", root=root, size="160", progress=False)
    assert list(root.iterdir()) == []
    assert not (tmp_path / "escaped.txt").exists() and not (root.parent / "escaped.txt").exists()
    assert not Path("/tmp/alexnet-edu-absolute-escape.txt").exists()


def test_random_subset_is_fixed_by_its_seed_sorted_or_in_the_order_drawn():
    from alexnet_edu.data import random_subset

    every = random_subset(10, None, seed=3)
    assert every == list(range(10)) and random_subset(10, 10, 3) == every  # no limit, or one not smaller
    some = random_subset(1000, 50, seed=3)
    assert some == sorted(some) and len(set(some)) == 50 and some == random_subset(1000, 50, seed=3)
    assert some != random_subset(1000, 50, seed=4)
    drawn = random_subset(1000, 50, seed=3, shuffled=True)
    assert sorted(drawn) == some and drawn != some  # the same subset, in the order it was drawn
    assert sorted(random_subset(7, None, seed=1, shuffled=True)) == list(range(7))
    with pytest.raises(ValueError, match="positive number"):
        random_subset(10, 0, seed=0)

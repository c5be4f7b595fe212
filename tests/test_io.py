"""Tests of tinydl/io.py: a save that fails part-way (a file-size limit, Ctrl-C in the
middle of a write) leaves the old file byte for byte and no temporary file, with an error
naming the path; save_npz writes exactly the name given; load_npz turns every kind of bad
file into a ValueError (or FileNotFoundError) that names it, for every truncation and
every single-bit flip of a real file."""
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinydl import io as tio
from tinydl.io import atomic_write, load_npz, save_npz

TESTS = Path(__file__).resolve().parent
TINYDL_HOME = Path(tio.__file__).resolve().parents[1]   # the tinydl under test, for children

OLD = {"w": np.arange(500, dtype=np.float32)}                     # about 2 KB on disk
NEW = {"w": np.random.default_rng(0).normal(size=(300, 300))}     # about 720 KB


def weights_file(path):
    """A small .npz like a model's weights file (no b'PK\\x05\\x06' inside its data, so
    that no prefix of it looks like a whole zip archive)."""
    save_npz(path, {"__classes__": np.array(["Dense", "Dense"]),
                    "0_dense/kernel": np.arange(12, dtype=np.float32).reshape(3, 4),
                    "0_dense/bias": np.ones(4, np.float32)})
    return path


# -- writing ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["w.npz", "w.weights.h5", "w"])
def test_save_npz_writes_exactly_the_name_given(tmp_path, name):
    save_npz(tmp_path / name, NEW)
    assert os.listdir(tmp_path) == [name]
    loaded = load_npz(tmp_path / name)
    assert list(loaded) == ["w"] and loaded["w"].dtype == np.float64
    np.testing.assert_array_equal(loaded["w"], NEW["w"])


def test_save_npz_refuses_object_arrays(tmp_path):
    with pytest.raises(ValueError, match=r"save_npz: arrays\['bad'\] is an object array"):
        save_npz(tmp_path / "x.npz", {"ok": np.zeros(2), "bad": np.array([1, None])})
    assert os.listdir(tmp_path) == []


def test_a_new_file_gets_the_usual_permissions_and_a_replaced_file_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    try:
        save_npz(tmp_path / "new.npz", OLD)
        assert os.stat(tmp_path / "new.npz").st_mode & 0o777 == 0o644   # not mkstemp's 0o600
        os.chmod(tmp_path / "new.npz", 0o640)
        save_npz(tmp_path / "new.npz", NEW)
        assert os.stat(tmp_path / "new.npz").st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


CHILD = """
import json, os, resource, signal, sys
sys.path[:0] = [{root!r}, {tests!r}]
import numpy as np
import test_io
what, path, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
if what == "gan":
    gan = test_io.changed_gan()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)        # so write() fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    if what == "gan":
        gan.save_checkpoint(path)
    else:
        test_io.save_npz(path, test_io.NEW)
except BaseException as exc:
    print(json.dumps({{"type": type(exc).__name__, "errno": getattr(exc, "errno", None),
                      "message": str(exc), "is_oserror": isinstance(exc, OSError)}}))
"""


def save_under_a_file_size_limit(what, path, limit):
    """Run the save in a child process whose files may not grow beyond `limit` bytes;
    returns the error it raised, as a dict."""
    code = CHILD.format(root=str(TINYDL_HOME), tests=str(TESTS))
    proc = subprocess.run([sys.executable, "-c", code, what, str(path), str(limit)],
                          capture_output=True, text=True, timeout=60,
                          env=os.environ | {"PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 0 and proc.stdout, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def changed_gan():
    """The GAN of test_gan after one epoch of training (its weights differ from a fresh one's)."""
    from test_gan import real_data, small_gan
    gan = small_gan()
    gan.fit(real_data(32), epochs=1, batch_size=16, verbose=0)
    return gan


def test_a_save_stopped_by_a_file_size_limit_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "weights.npz"
    save_npz(path, OLD)
    old = path.read_bytes()
    error = save_under_a_file_size_limit("save_npz", path, limit=64 * 1024)   # < 720 KB
    assert error["is_oserror"] and error["errno"] == errno.EFBIG, error
    assert str(path) in error["message"] and "unchanged" in error["message"]
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["weights.npz"]       # no temporary file left


def test_a_gan_checkpoint_stopped_by_a_file_size_limit_stays_loadable(tmp_path):
    from test_gan import small_gan
    small_gan().save_checkpoint(tmp_path)
    old = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    error = save_under_a_file_size_limit("gan", tmp_path, limit=600)   # each file is > 1 KB
    assert error["is_oserror"] and error["errno"] == errno.EFBIG, error
    assert "generator.weights.npz" in error["message"]
    assert {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)} == old
    assert small_gan(seed=9).load_checkpoint(tmp_path) == 0


class InterruptedFile:
    """A file whose write() writes part of the bytes, then raises KeyboardInterrupt once
    `limit` bytes have been written (as Ctrl-C in the middle of a save)."""

    def __init__(self, file, limit):
        self.file, self.left = file, limit

    def write(self, data):
        if len(data) >= self.left:
            self.file.write(bytes(data)[:self.left])
            raise KeyboardInterrupt
        self.left -= len(data)
        return self.file.write(data)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


@pytest.mark.parametrize("save", [
    lambda path: save_npz(path, NEW),
    lambda path: atomic_write(path, lambda f: [f.write(b"x" * 1000) for _ in range(100)]),
], ids=["save_npz", "atomic_write"])
def test_ctrl_c_half_way_through_a_save_leaves_the_old_file_whole(tmp_path, monkeypatch, save):
    path = tmp_path / "weights.npz"
    save_npz(path, OLD)
    old = path.read_bytes()
    opened = []

    def interrupted_open(file, mode="r", *args, **kwargs):
        opened.append(file)
        return InterruptedFile(open(file, mode, *args, **kwargs), limit=50_000)

    monkeypatch.setattr(tio, "open", interrupted_open, raising=False)
    with pytest.raises(KeyboardInterrupt) as info:
        save(path)
    assert opened and Path(opened[0]).parent == tmp_path   # a temporary file was written to...
    assert not Path(opened[0]).exists()                        # ...and removed
    assert any(str(path) in note and "unchanged" in note for note in info.value.__notes__)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["weights.npz"]


def test_a_writer_error_keeps_its_type_and_names_the_path(tmp_path):
    path = tmp_path / "a.bin"
    atomic_write(path, lambda f: f.write(b"old"))

    def broken(f):
        f.write(b"new, half")
        raise TypeError("the writer's own bug")

    with pytest.raises(TypeError, match="the writer's own bug") as info:
        atomic_write(path, broken)
    assert any(str(path) in note for note in info.value.__notes__)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["a.bin"]


def test_saving_into_a_missing_folder_is_a_file_not_found_error_naming_it(tmp_path):
    path = tmp_path / "no" / "such" / "w.npz"
    with pytest.raises(FileNotFoundError) as info:
        save_npz(path, OLD)
    assert str(path) in str(info.value) and "does not exist" in str(info.value)


def test_saving_over_a_folder_is_an_os_error_naming_it(tmp_path):
    (tmp_path / "w.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="w.npz"):
        save_npz(tmp_path / "w.npz", OLD)
    assert os.listdir(tmp_path) == ["w.npz"]


# -- reading ----------------------------------------------------------------------------

def write_zip(path, members):
    import zipfile
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


BAD_FILES = {  # name: (how to make it, what the message must say)
    "empty": (lambda p: p.write_bytes(b""), "empty"),
    "text": (lambda p: p.write_text("hello, world"), "not a zip archive"),
    "npy": (lambda p: np.save(open(p, "wb"), np.zeros(3)), "single .npy array"),
    "hdf5": (lambda p: p.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100)), "HDF5"),
    "pickle": (lambda p: p.write_bytes(b"\x80\x04\x95" + bytes(20)), "pickle"),
    "pytorch": (lambda p: write_zip(p, {"archive/data.pkl": b"\x80\x02}q\x00.",
                                        "archive/version": b"3\n"}), "not an .npz"),
    "object array": (lambda p: np.savez(p, o=np.array([1, "a", None], dtype=object)),
                     "pickled Python objects"),
    "member not .npy": (lambda p: write_zip(p, {"x.npy": b"not an array"}),
                        "not in the .npy format"),
    "truncated": (lambda p: p.write_bytes(weights_file(p).read_bytes()[:-40]),
                  "truncated or damaged"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_load_npz_names_the_file_and_what_is_wrong(tmp_path, kind):
    make, says = BAD_FILES[kind]
    path = tmp_path / "model.npz"
    make(path)
    with pytest.raises(ValueError) as info:
        load_npz(path, what="the weights of a Sequential model", caller="Sequential.load_weights")
    message = str(info.value)
    assert message.startswith(f"Sequential.load_weights: cannot load {str(path)!r}: ")
    assert says in message and message.endswith("expected the weights of a Sequential model")


def test_load_npz_of_a_missing_file_is_a_file_not_found_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_npz(tmp_path / "nope.npz")
    assert str(tmp_path / "nope.npz") in str(info.value)


def test_load_npz_refuses_every_truncation_of_a_real_file(tmp_path):
    good = weights_file(tmp_path / "good.npz").read_bytes()
    path = tmp_path / "cut.npz"
    for length in range(len(good)):
        path.write_bytes(good[:length])
        with pytest.raises(ValueError, match="cut.npz"):
            load_npz(path)


def test_a_flipped_bit_is_refused_or_harmless(tmp_path):
    """Flip one bit of each byte: load_npz raises a ValueError or
    returns some of the arrays unchanged, never other arrays or another exception (a zip's
    fields outside the CRC-checked data, e.g. a timestamp or the count of members, may
    change without harm to what is read)."""
    good = weights_file(tmp_path / "good.npz").read_bytes()
    reference = load_npz(tmp_path / "good.npz")
    path = tmp_path / "flipped.npz"
    refused = 0
    for position in range(len(good)):
        damaged = bytearray(good)
        damaged[position] ^= 1 << position % 8          # each bit position in turn
        path.write_bytes(damaged)
        try:
            arrays = load_npz(path)
        except ValueError as exc:
            assert "flipped.npz" in str(exc)
            refused += 1
            continue
        assert set(arrays) <= set(reference), position
        for key, array in arrays.items():
            assert array.dtype == reference[key].dtype, (position, key)
            np.testing.assert_array_equal(array, reference[key], err_msg=f"{position}")
    assert refused > len(good) / 2   # most flips are caught (the CRC covers all array bytes)

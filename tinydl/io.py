"""Writing and reading tinydl's files safely: a save never destroys what was there, and a
bad file is a clear error, not a raw BadZipFile.

Writing (`atomic_write`, `atomic_path`, `save_npz`): the new content goes to a temporary
file in the target's folder (same file system, so the rename below is atomic), which is
flushed and fsync'ed (its bytes are on disk), then `os.replace`d over the target in one
step, and the folder is fsync'ed (the rename is on disk). At every moment the target
is either the old file, whole, or the new file, whole. If anything fails before the
rename (a full disk, a file-size quota, an exception in the writer, Ctrl-C), the
temporary file is removed, the old file is left byte for byte as it was, and the error
names the target path.

Reading (`load_npz`): every array is read into memory and the file is closed; a file that
is missing, empty, truncated, not an .npz archive, or that holds pickled Python objects is
an error that names the file, says what is wrong and what was expected. Checks of what
the arrays mean (a model's architecture) belong to the caller.

An .npz file is a zip archive with one member "<key>.npy" per array (numpy.savez).
"""
from __future__ import annotations

import errno
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

NPZ = "an .npz archive of arrays (numpy.savez)"

# The first bytes of the files people mistake for an .npz, and what they are.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")            # a zip with members / an empty zip
_FOREIGN_MAGIC = {
    b"\x93NUMPY": "a single .npy array (numpy.save), not an .npz archive of several",
    b"\x89HDF\r\n\x1a\n": "an HDF5 file (Keras' .h5 / .weights.h5 format?)",
    b"\x80": "a Python pickle (an old PyTorch .pt/.pth file?)",
}


def _with_path(exc: OSError, path: str | os.PathLike) -> OSError:
    """The same kind of OSError (FileNotFoundError, PermissionError, ...; errno kept) with
    the target path in its message: a failure while writing a temporary file would
    otherwise name only the temporary file."""
    unchanged = "nothing was written there; what was there is unchanged"
    folder = os.path.dirname(os.path.abspath(path))
    if exc.errno == errno.ENOENT and not os.path.isdir(folder):
        unchanged = f"the folder {folder!r} does not exist"
    if exc.errno is not None:        # OSError(errno, ...) picks the subclass, e.g. PermissionError
        return OSError(exc.errno, f"{exc.strerror} ({unchanged})", os.fspath(path))
    what = f"writing {os.fspath(path)!r} failed: {exc} ({unchanged})"
    try:
        return type(exc)(what)
    except TypeError:                                     # a subclass with other arguments
        return OSError(what)


def _file_mode(target: Path) -> int:
    """The permission bits the new file gets: the old file's, else what open() would
    give (0o666 minus the umask), not mkstemp's private 0o600."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable. Best effort: some platforms (Windows) and file systems
    cannot fsync a folder, and the new file is in place already."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary file name in path's folder; write the new content to it inside the
    block. When the block ends normally the file is fsync'ed and renamed over `path`; when
    it raises, the temporary file is removed and `path` is untouched (see the module
    docstring). For writers that take a file name (matplotlib's imsave, a model's
    save_weights): the temporary name ends in path's suffix, so they choose the same
    format. The writer must write exactly the name it is given (np.savez does not when
    the name lacks ".npz": use `save_npz` or `atomic_write` for it).

        with atomic_path("grid.png") as tmp:
            matplotlib.image.imsave(tmp, grid)
    """
    target = Path(path)
    folder = target.parent
    try:
        # ".grid~tmpXXXXXXXX.png" for grid.png: hidden, and with the same suffix (none
        # for a name without one)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}~tmp", suffix=target.suffix,
                                   dir=folder)
    except OSError as exc:
        raise _with_path(exc, target) from exc
    os.close(fd)
    try:
        try:
            os.chmod(tmp, _file_mode(target))
            yield tmp
            fd = os.open(tmp, os.O_RDONLY)      # fsync through any descriptor flushes the file
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
    except OSError as exc:
        raise _with_path(exc, target) from exc
    except BaseException as exc:                # Ctrl-C, or the writer's own error: keep it
        exc.add_note(f"while writing {os.fspath(target)!r}: nothing was written there (what "
                     f"was there is unchanged)")
        raise
    _fsync_folder(folder)


def atomic_write(path: str | os.PathLike, write_fn: Callable[[BinaryIO], Any]) -> None:
    """Call write_fn(f) with a binary file opened for writing, and make what it wrote the
    content of `path` atomically (see the module docstring): on any failure `path` keeps
    its old content and no temporary file stays behind.

        atomic_write("notes.txt", lambda f: f.write(b"hello"))
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())


def save_npz(path: str | os.PathLike, arrays: Mapping[str, Any]) -> None:
    """Write `arrays` ({key: array}) as an uncompressed .npz archive to exactly `path`,
    atomically. numpy.savez adds ".npz" to a file name without it; save_npz writes the
    name it is given, whatever its ending (writing to an open file keeps numpy from
    renaming). Object arrays are refused (they would be pickled, and `load_npz` does not
    unpickle), with a ValueError naming the key.
    """
    checked = {}
    for key, value in arrays.items():
        array = np.asarray(value)
        if array.dtype == object:
            raise ValueError(f"save_npz: arrays[{key!r}] is an object array (Python objects, "
                             f"{array.shape}); expected numbers or strings, which .npz stores "
                             f"without pickling")
        checked[key] = array
    atomic_write(path, lambda f: np.savez(f, **checked))


def load_npz(path: str | os.PathLike, what: str = NPZ, caller: str = "load_npz"
             ) -> dict[str, np.ndarray]:
    """Read every array of the .npz file at `path` into memory and close the file.

    Returns {key: array} in the archive's order. `what` says what the file should be and
    `caller` who is reading it, for the messages: e.g. what="the weights of a Sequential
    model (save_weights)", caller="Sequential.load_weights".

    Raises:
        FileNotFoundError: no file at path (other OSErrors, e.g. PermissionError, as
            the file system raises them; they name the path).
        ValueError: the file is empty, truncated or damaged, not a zip archive (a .npy,
            HDF5 or pickle file is named as such), a zip archive that is not an .npz
            (e.g. a PyTorch .pt file), or it holds pickled Python objects. The message
            names the file, what is wrong, and `what` was expected.
    """
    path = os.fspath(path)

    def bad(problem: str) -> ValueError:
        return ValueError(f"{caller}: cannot load {path!r}: {problem}; expected {what}")

    # The whole file is read first: the file system's errors happen here (and stay
    # OSErrors); everything after works on bytes in memory, so any failure there comes
    # from the content.
    try:
        with open(path, "rb") as f:
            content = f.read()
    except FileNotFoundError as exc:
        raise FileNotFoundError(exc.errno, f"{caller}: no such file (expected {what})",
                                path) from None
    if not content:
        raise bad("the file is empty (0 bytes)")
    if content[:4] not in _ZIP_MAGIC:
        for magic, kind in _FOREIGN_MAGIC.items():
            if content.startswith(magic):
                raise bad(f"it is {kind}")
        raise bad(f"it is not a zip archive (it starts with {content[:8]!r}; an .npz "
                  f"starts with b'PK')")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            others = [n for n in archive.namelist() if not n.endswith(".npy")]
    except Exception as exc:      # BadZipFile mostly; a damaged header raises others
        raise bad(f"the file is truncated or damaged ({type(exc).__name__}: {exc})") from None
    if others:
        hint = " (a PyTorch file?)" if any(n.endswith(".pkl") for n in others) else ""
        raise bad(f"it is a zip archive but not an .npz: it holds {others[:3]}"
                  f"{' ...' if len(others) > 3 else ''}, not only .npy arrays{hint}")
    arrays: dict[str, np.ndarray] = {}
    key = None
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as data:
            for key in data.files:
                arrays[key] = data[key]
                if not isinstance(arrays[key], np.ndarray):   # numpy hands back raw bytes
                    raise ValueError("its bytes are not in the .npy format")
    except Exception as exc:      # BadZipFile (a CRC error), EOFError, ValueError, ...
        if "allow_pickle" in str(exc):
            raise bad(f"the array {key!r} holds pickled Python objects (an object array), "
                      f"which tinydl neither writes nor loads (unpickling can run any "
                      f"code)") from None
        raise bad(f"the array {key!r} is truncated or damaged ({type(exc).__name__}: "
                  f"{exc})") from None
    return arrays

"""Shared loader for datasets stored as four IDX files (MNIST, Fashion-MNIST).

The IDX format is tiny: a big-endian header, then the raw values.

    bytes 0-1   zero
    byte  2     element type (0x08 = unsigned byte)
    byte  3     number of dimensions d
    next 4*d    size of each dimension, uint32 big-endian
    rest        the values, row-major (C order)

So uint8 images of shape (N, rows, cols) start with magic 0x00000803 = 2051, and uint8 labels of
shape (N,) with magic 0x00000801 = 2049.

`load(spec)` looks for the files in a list of directories and, if none has them, downloads them
into the user cache, checking the SHA-256 of every file's decompressed bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import re
import sys
import tempfile
import urllib.request
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 0x00000803  # 2051: uint8, 3 dimensions
LABELS_MAGIC = 0x00000801  # 2049: uint8, 1 dimension

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# Where Debian's dataset-* packages install; a module constant so tests can point it elsewhere.
SYSTEM_DATA_DIR = Path("/usr/share/datasets")

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DatasetError(ValueError):
    """A dataset file is missing, damaged or not what it should be."""


class DatasetNotFoundError(DatasetError):
    """The files are in none of the searched directories and could not be downloaded."""


@dataclass(frozen=True)
class Dataset:
    """Everything the loader needs to know about one dataset of four IDX files."""

    name: str  # sub-directory name in $TINYDL_DATA, the cache and SYSTEM_DATA_DIR
    mirrors: tuple[str, ...]  # base URLs; each serves every file as FILE.gz
    sha256: Mapping[str, str]  # file -> SHA-256 of its decompressed bytes (absent: not checked)
    mirrors_env: str = ""  # environment variable that overrides `mirrors`
    files: tuple[str, ...] = MNIST_FILES  # train images, train labels, test images, test labels
    image_shape: tuple[int, int] = (28, 28)
    num_classes: int = 10


# ---------------------------------------------------------------------------- parsing


def parse_idx(data: bytes, name: str = "<bytes>", ndim: int | None = None) -> np.ndarray:
    """Parse the bytes of one uint8 IDX file (already decompressed).

    Returns a new, writable uint8 array with the shape written in the header, e.g. (60000, 28, 28)
    for training images or (60000,) for labels. Raises DatasetError (naming `name`) when the magic
    number is wrong (or `ndim` is given and differs) or the size does not match the header.
    """
    if len(data) < 4:
        raise DatasetError(f"{name}: truncated: {len(data)} bytes, too short for an IDX header")
    magic = int.from_bytes(data[:4], "big")
    if data[:3] != b"\x00\x00\x08" or (ndim is not None and data[3] != ndim):
        want = f"{0x800 + ndim} (uint8, {ndim}-D)" if ndim is not None else "0x000008NN (uint8)"
        raise DatasetError(f"{name}: wrong magic number {magic} (0x{magic:08x}), expected {want}")
    header = 4 + 4 * data[3]
    if len(data) < header:
        raise DatasetError(f"{name}: truncated: {len(data)} bytes, header alone needs {header}")
    shape = tuple(int(n) for n in np.frombuffer(data, ">u4", count=data[3], offset=4))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "too long"
        raise DatasetError(
            f"{name}: {problem}: header says shape {shape}, i.e. {expected} bytes, "
            f"but there are {len(data)}"
        )
    # .copy() gives an owned, writable array (frombuffer on bytes is read-only).
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape).copy()


def _read(spec: Dataset, index: int, path: Path, gz: bool, label: str) -> tuple[np.ndarray, str]:
    """Read and check file number `index` of `spec`; returns (array, SHA-256 of its data)."""
    data = path.read_bytes()
    if gz:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:  # bad header / cut short / bad deflate data
            raise DatasetError(f"{label}: corrupt gzip data ({e})") from None
    images = index % 2 == 0  # files alternate images, labels
    array = parse_idx(data, label, ndim=3 if images else 1)
    if images and array.shape[1:] != spec.image_shape:
        raise DatasetError(f"{label}: images are {array.shape[1:]}, expected {spec.image_shape}")
    if not images and array.size and array.max() >= spec.num_classes:
        raise DatasetError(
            f"{label}: label {array.max()} out of range, expected 0..{spec.num_classes - 1}"
        )
    return array, hashlib.sha256(data).hexdigest()


def _check_sha(spec: Dataset, file: str, digest: str, label: str) -> None:
    expected = spec.sha256.get(file)
    if expected is not None and digest != expected.lower():
        raise DatasetError(
            f"{label}: SHA-256 mismatch of the decompressed data: expected {expected}, got {digest}"
        )


def _locate(directory: Path, files: tuple[str, ...]) -> tuple[dict[str, Path], list[str]]:
    """Find FILE.gz or FILE for each file; returns ({file: path}, [missing files])."""
    found: dict[str, Path] = {}
    for file in files:
        for candidate in (directory / f"{file}.gz", directory / file):
            if candidate.is_file():
                found[file] = candidate
                break
    return found, [f for f in files if f not in found]


def _load_dir(spec: Dataset, found: dict[str, Path]) -> Arrays:
    paths = [found[f] for f in spec.files]
    read = [_read(spec, i, p, p.suffix == ".gz", str(p)) for i, p in enumerate(paths)]
    arrays = [array for array, _ in read]
    for i in (0, 2):  # (train images, train labels), (test images, test labels)
        if len(arrays[i]) != len(arrays[i + 1]):
            raise DatasetError(
                f"{paths[i]} holds {len(arrays[i])} images but "
                f"{paths[i + 1]} holds {len(arrays[i + 1])} labels"
            )
    # Checksums last, so a damaged file is reported by what is wrong with it when parsing can tell.
    for file, path, (_, digest) in zip(spec.files, paths, read):
        _check_sha(spec, file, digest, str(path))
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


# ---------------------------------------------------------------------------- searching


def cache_dir(spec: Dataset) -> Path:
    """The user cache for `spec`: $XDG_CACHE_HOME/tinydl/NAME, default ~/.cache/tinydl/NAME."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # XDG: ignore relative
    return root / "tinydl" / spec.name


def search_dirs(
    spec: Dataset, path: str | os.PathLike[str] | None = None
) -> list[tuple[str, Path]]:
    """The (description, directory) pairs searched, in order."""
    dirs = []
    if path is not None:
        dirs.append(("path argument", Path(path)))
    if os.environ.get("TINYDL_DATA"):
        dirs.append(("$TINYDL_DATA", Path(os.environ["TINYDL_DATA"]) / spec.name))
    dirs.append(("user cache", cache_dir(spec)))
    dirs.append(("system", SYSTEM_DATA_DIR / spec.name))
    return dirs


def mirror_list(spec: Dataset) -> list[str]:
    """Base URLs to download from: $MIRRORS_ENV (split on whitespace or commas) or spec.mirrors."""
    override = os.environ.get(spec.mirrors_env, "") if spec.mirrors_env else ""
    urls = [u for u in re.split(r"[\s,]+", override) if u] or list(spec.mirrors)
    return [u if u.endswith("/") else u + "/" for u in urls]


# ---------------------------------------------------------------------------- downloading


def _progress(name: str, done: int, total: int) -> None:
    if total:
        bar = "#" * (30 * done // total)
        sys.stderr.write(f"\r{name} [{bar:<30}] {done / total:4.0%} of {total / 1e6:.1f} MB")
    else:
        sys.stderr.write(f"\r{name} {done / 1e6:.1f} MB")
    sys.stderr.flush()


def _fetch(spec: Dataset, index: int, url: str, dest: Path) -> None:
    """Download `url` to a temporary file next to `dest`; rename it to `dest` once verified."""
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                _progress(dest.name, done, total)
            sys.stderr.write("\n")
        if total and done < total:
            raise DatasetError(f"{url}: download cut short: {done} of {total} bytes")
        _, digest = _read(spec, index, tmp, gz=True, label=url)
        _check_sha(spec, spec.files[index], digest, url)
        os.replace(tmp, dest)  # atomic: the cache never holds a half-written or bad file
    finally:
        tmp.unlink(missing_ok=True)


def _download(spec: Dataset, directory: Path, errors: list[str]) -> bool:
    """Download the files missing from `directory`, trying each mirror in turn.

    Returns True when all files are there; otherwise False, with what went wrong added to `errors`.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        errors.append(f"cannot create {directory}: {e}")
        return False
    mirrors = mirror_list(spec)
    if not mirrors:
        errors.append("no mirrors configured")
        return False
    _, missing = _locate(directory, spec.files)
    for file in missing:
        index = spec.files.index(file)
        for base in mirrors:
            url = f"{base}{file}.gz"
            try:
                _fetch(spec, index, url, directory / f"{file}.gz")
                break
            except (OSError, ValueError, http.client.HTTPException) as e:  # URLError is an OSError
                errors.append(str(e) if isinstance(e, DatasetError) else f"{url}: {e}")
        else:
            return False  # no mirror had this file: do not try the others
    return True


# ---------------------------------------------------------------------------- loading


def load(spec: Dataset, path: str | os.PathLike[str] | None = None) -> Arrays:
    """Find (or download) and load the four files of `spec`.

    Returns (x_train, y_train), (x_test, y_test): images uint8 of shape (N, rows, cols), labels
    uint8 of shape (N,). Directories are searched in the order of `search_dirs`; one counts only
    when it holds all four files. Raises DatasetError if a file is damaged, DatasetNotFoundError
    if the files are nowhere and cannot be downloaded.
    """
    searched = []
    for description, directory in search_dirs(spec, path):
        found, missing = _locate(directory, spec.files)
        if not missing:
            return _load_dir(spec, found)
        why = "missing " + ", ".join(missing) if directory.is_dir() else "no such directory"
        searched.append(f"  - {directory} ({description}): {why}")
    if not os.environ.get("TINYDL_DATA"):
        searched.append(f"  - $TINYDL_DATA/{spec.name}: not searched, TINYDL_DATA is not set")

    cache = cache_dir(spec)
    errors: list[str] = []
    if _download(spec, cache, errors):
        return _load_dir(spec, _locate(cache, spec.files)[0])

    mirrors_hint = f", or set {spec.mirrors_env} to reachable mirrors" if spec.mirrors_env else ""
    raise DatasetNotFoundError(
        f"Dataset {spec.name!r} not found: need the four files {', '.join(spec.files)} "
        f"(each raw or gzipped as FILE.gz).\nSearched:\n" + "\n".join(searched)
        + f"\nDownloading into {cache} failed:\n" + "\n".join(f"  - {e}" for e in errors)
        + f"\nTo fix: set TINYDL_DATA to a directory containing {spec.name}/ with the four files, "
        f"pass the directory holding them as `path`, copy them into {cache}{mirrors_hint}."
    )

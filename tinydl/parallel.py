"""How many threads tinydl uses, and splitting a batch between them for elementwise work.

One setting, n = `get_num_threads()`, governs all of tinydl's parallelism:
* numpy's BLAS (the matrix products of Dense and of the convolutions), whose thread count
  is set through threadpoolctl (the small library scikit-learn uses for this);
* tinydl's own pool (`over_batch`), for the elementwise work that numpy runs on one core
  (ReLU, max-pooling, im2col's copies, Adam's update).
The two never run at the same time: `over_batch` is called from the main thread, which
waits while the pool works, and the pool's work does no matrix products. So at most n
threads compute at once.

Set it with `tinydl.set_num_threads(n)`, or with the environment variable
TINYDL_NUM_THREADS=n, read when tinydl is imported. The default is the number of cores
the process may use (its CPU affinity: `taskset`, a container's or a job scheduler's
limit), or fewer when numpy's BLAS was already limited by its own variable
(OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS): importing tinydl never raises a
limit the user chose. A TINYDL_NUM_THREADS that is not a whole number >= 1 is ignored
with a RuntimeWarning (the default is used), as OpenMP does with a bad OMP_NUM_THREADS.

Why one setting matters: on a shared machine, threads that wait for each other lose far
more than their share (an epoch went from 5 s to 46 s with every core busy), and BLAS
threads next to tinydl's pool would compete with each other. n = 1 turns all threading
off.

Splitting a batch: numpy releases Python's GIL inside its elementwise loops, so plain
threads that each handle a slice of the batch do run at the same time. The samples of a
batch are independent in these operations, so each thread writes its own slice of a
preallocated output and the result is bit-for-bit the same however the batch is cut.
"""
from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np
from threadpoolctl import ThreadpoolController

#: Below this many elements per thread, starting threads costs more than it saves.
MIN_ELEMENTS_PER_THREAD = 1 << 16

_threads = 1
_pool: ThreadPoolExecutor | None = None


def available_cores() -> int:
    """The number of cores this process may run on (its CPU affinity where the system
    reports one, else the machine's core count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def _blas() -> ThreadpoolController:
    """The BLAS libraries loaded now (numpy's; also e.g. SciPy's if it was imported)."""
    return ThreadpoolController().select(user_api="blas")


def blas_threads() -> list[int]:
    """The thread count of each BLAS library loaded, e.g. [2] for numpy's OpenBLAS."""
    return [lib.num_threads for lib in _blas().lib_controllers]


def _check(n: Any, setting: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{setting} must be a whole number of threads >= 1 (an int), got "
                         f"{n!r}")
    return int(n)


def set_num_threads(n: int) -> None:
    """Use n threads from now on: n for numpy's BLAS and n for tinydl's own pool (never
    both at once). n = 1 runs everything on the calling thread.

    Raises ValueError for anything but an int >= 1.
    """
    global _threads, _pool
    n = _check(n, "tinydl.set_num_threads: n")
    _blas().limit(limits=n)
    if _pool is not None and n != _threads:
        _pool.shutdown(wait=False)   # its running work (if any) still finishes
        _pool = None
    _threads = n


def get_num_threads() -> int:
    """The number of threads tinydl uses (see the module docstring)."""
    return _threads


def default_num_threads() -> int:
    """The cores the process may use, or numpy's BLAS's thread count when lower."""
    return min([available_cores(), *blas_threads()])


def _from_environment() -> int:
    """TINYDL_NUM_THREADS if it is set to a whole number >= 1, else the default."""
    text = os.environ.get("TINYDL_NUM_THREADS", "").strip()
    if not text:
        return default_num_threads()
    try:
        return _check(int(text), "TINYDL_NUM_THREADS")
    except ValueError:
        default = default_num_threads()
        warnings.warn(f"tinydl: the environment variable TINYDL_NUM_THREADS must be a whole "
                      f"number of threads >= 1, got {text!r}; using the default, {default}",
                      RuntimeWarning, stacklevel=2)
        return default


def over_batch(work: Callable[[slice], None], batch: int, elements: int) -> None:
    """Call work(s) for slices s that cover range(batch), in parallel where it pays.

    Args:
        work: computes the samples s of the result, writing them into arrays
            allocated beforehand; it must not touch other samples, and must do no
            matrix products (BLAS would start its own threads on top of the pool's).
        batch: the number of samples (the length of axis 0).
        elements: the total number of elements the work reads, to judge whether
            splitting is worth it.
    """
    global _pool
    parts = min(_threads, batch, max(1, elements // MIN_ELEMENTS_PER_THREAD))
    if parts <= 1:
        work(slice(0, batch))
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_threads, thread_name_prefix="tinydl")
    bounds = [batch * i // parts for i in range(parts + 1)]
    for future in [_pool.submit(work, slice(lo, hi)) for lo, hi in zip(bounds, bounds[1:])]:
        future.result()  # re-raises an exception from the thread


set_num_threads(_from_environment())

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

A busy machine: in the default setting (neither `set_num_threads` nor TINYDL_NUM_THREADS
chose n), `fit` calls `adapt_to_load()` at the start of every epoch, which uses only the
cores that other processes leave free at that moment: m = n - (threads of other processes
running or waiting for a core, the median of a few readings of /proc/loadavg's
"runnable" count, less this process's own running threads), at least 1. BLAS and the
pool then run m threads until the next check. A thread count the user chose is never
changed. Off Linux (no /proc/loadavg) nothing is adapted.

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
import statistics
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np
from threadpoolctl import ThreadpoolController

#: Below this many elements per thread, splitting costs more than it saves (the pool's
#: hand-off, its threads against OpenBLAS's; set with profile_cnn.py, bench/README.md).
MIN_ELEMENTS_PER_THREAD = 1 << 20

_threads = 1            # the setting, n
_active = 1             # the threads used now: n, or fewer on a busy machine (adapt_to_load)
_auto = True            # n is the default, not the user's choice: adapt_to_load may lower it
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
    global _auto
    _use(_check(n, "tinydl.set_num_threads: n"))
    _auto = False


def _use(n: int) -> None:
    """Set the thread count n (BLAS and the pool), without deciding who chose it."""
    global _threads, _active, _pool
    _blas().limit(limits=n)
    if _pool is not None and n != _threads:
        _pool.shutdown(wait=False)   # its running work (if any) still finishes
        _pool = None
    _threads = _active = n


def get_num_threads() -> int:
    """The number of threads tinydl uses (see the module docstring)."""
    return _threads


def threads_in_use() -> int:
    """The threads BLAS and the pool run now: get_num_threads(), or fewer after
    `adapt_to_load` found the machine busy."""
    return _active


def default_num_threads() -> int:
    """The cores the process may use, or numpy's BLAS's thread count when lower."""
    return min([available_cores(), *blas_threads()])


def _from_environment() -> int:
    """TINYDL_NUM_THREADS if it is set to a whole number >= 1 (then it is the user's
    choice, never adapted), else the default."""
    global _auto
    text = os.environ.get("TINYDL_NUM_THREADS", "").strip()
    if not text:
        return default_num_threads()
    try:
        n = _check(int(text), "TINYDL_NUM_THREADS")
        _auto = False
        return n
    except ValueError:
        default = default_num_threads()
        warnings.warn(f"tinydl: the environment variable TINYDL_NUM_THREADS must be a whole "
                      f"number of threads >= 1, got {text!r}; using the default, {default}",
                      RuntimeWarning, stacklevel=2)
        return default


def _own_running_threads() -> int:
    """This process's threads that are running or runnable now (at least 1: the caller)."""
    running = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:          # the thread ended meanwhile
            continue
        running += stat[stat.rindex(")") + 2] == "R"    # the field after "(name)"
    return max(running, 1)


def other_runnable_threads(readings: int = 9, interval: float = 0.002) -> float | None:
    """How many threads of other processes are running or waiting for a core: the median
    over `readings` readings, `interval` seconds apart, of the runnable count in
    /proc/loadavg (every process's, an instant count, unlike the load averages) less this
    process's own. None where /proc/loadavg does not exist (not Linux)."""
    counts = []
    for i in range(readings):
        try:
            with open("/proc/loadavg") as f:
                runnable = int(f.read().split()[3].split("/")[0])   # "0.50 0.40 0.30 3/95 123"
            counts.append(max(runnable - _own_running_threads(), 0))
        except (OSError, ValueError, IndexError):
            return None
        if i < readings - 1:
            time.sleep(interval)
    return statistics.median(counts)


def adapt_to_load() -> int:
    """In the default setting, use only the cores that other processes leave free now:
    m = min(n, cores - other runnable threads), at least 1, for BLAS and the pool, until
    the next call (`fit` calls it at the start of every epoch; it takes about 20 ms).
    Does nothing when the user chose n (set_num_threads, TINYDL_NUM_THREADS) or n = 1.
    Returns the number of threads in use.

    Why: threads that wait for each other (a BLAS product is split between them and ends
    when the slowest part ends) lose far more than their share when a core is taken by
    another process; one thread that keeps its core loses nothing."""
    global _active
    if not _auto or _threads == 1:
        return _active
    others = other_runnable_threads()
    if others is None:
        return _active
    m = max(1, min(_threads, available_cores() - round(others)))
    if m != _active:
        _blas().limit(limits=m)
        _active = m
    return m


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
    parts = min(_active, batch, max(1, elements // MIN_ELEMENTS_PER_THREAD))
    if parts <= 1:
        work(slice(0, batch))
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="tinydl")
    bounds = [batch * i // parts for i in range(parts + 1)]
    # the calling thread does the first slice itself rather than wait idle
    futures = [_pool.submit(work, slice(lo, hi)) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    try:
        work(slice(0, bounds[1]))
    finally:
        for future in futures:
            future.result()  # waits; re-raises an exception from the thread


_use(_from_environment())

"""Split a batch between the CPU cores for the element-by-element work.

NumPy's matrix products (BLAS) already use every core, but its elementwise operations
(ReLU, the comparisons and maxima of max-pooling, ...) run on one. NumPy releases
Python's GIL inside those loops, so plain threads that each handle a slice of the batch
do run at the same time. The samples of a batch are independent in these operations,
so each thread writes its own slice of a preallocated output and the result is
bit-for-bit the same however the batch is cut.

TINYDL_NUM_THREADS sets the number of threads (default: the number of cores; 1 turns
the splitting off).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

#: Below this many elements per thread, starting threads costs more than it saves.
MIN_ELEMENTS_PER_THREAD = 1 << 16

_threads = max(1, int(os.environ.get("TINYDL_NUM_THREADS", os.cpu_count() or 1)))
_pool: ThreadPoolExecutor | None = None


def over_batch(work: Callable[[slice], None], batch: int, elements: int) -> None:
    """Call work(s) for slices s that cover range(batch), in parallel where it pays.

    Args:
        work: computes the samples s of the result, writing them into arrays
            allocated beforehand; it must not touch other samples.
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

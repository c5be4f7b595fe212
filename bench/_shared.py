"""Helpers the benchmark scripts share. They import neither tinydl nor torch, so that a
PyTorch worker can use them without importing tinydl (which tunes malloc)."""
from __future__ import annotations

import os
import resource


def peak_rss_mib() -> float:
    """This process's peak resident memory, MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, or [] where the system has none."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []

"""Tests of the thread setting (tinydl/parallel.py): set_num_threads/get_num_threads, numpy's
BLAS following it (as threadpoolctl reports), clear errors for bad values, the environment
variable TINYDL_NUM_THREADS read at import (in child processes), and the pool: exactly n
threads work at once, and the results do not depend on n."""
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import tinydl
import tinydl.functional as F
from tinydl import Tensor, parallel
from tinydl.parallel import get_num_threads, over_batch, set_num_threads

TINYDL_HOME = Path(tinydl.__file__).resolve().parents[1]   # the tinydl under test, for children


@pytest.fixture(autouse=True)
def restore_threads():
    """Each test leaves tinydl's and BLAS's thread counts as it found them."""
    before = get_num_threads()
    with threadpool_limits(limits=None):      # restores BLAS's counts on exit
        yield
        set_num_threads(before)


def blas_counts():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_set_and_get_round_trip():
    for n in (3, 1, np.int64(2)):
        set_num_threads(n)
        assert get_num_threads() == n and type(get_num_threads()) is int


def test_blas_follows_the_setting():
    if not blas_counts():
        pytest.skip("threadpoolctl finds no BLAS library in this numpy")
    for n in (1, 2, 1):
        set_num_threads(n)
        assert blas_counts() == [n] * len(blas_counts())


@pytest.mark.parametrize("bad", [0, -1, "x", 1.5, "2", True, None])
def test_a_bad_thread_count_is_a_value_error_naming_the_setting(bad):
    set_num_threads(2)
    with pytest.raises(ValueError, match=r"tinydl.set_num_threads: n must be a whole number "
                                         r"of threads >= 1 \(an int\), got " + repr(bad)[:3]):
        set_num_threads(bad)
    assert get_num_threads() == 2                 # unchanged


CHILD = """
import json, os, sys, warnings
sys.path.insert(0, {root!r})
import numpy
if len(sys.argv) > 1:                 # run on one core only, after numpy's BLAS has started
    os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})
warnings.simplefilter("always")
import tinydl
from threadpoolctl import threadpool_info
print(json.dumps({{"n": tinydl.parallel.get_num_threads(), "cpu_count": os.cpu_count(),
                  "blas": [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]}}))
"""
THREAD_VARIABLES = ("TINYDL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                    "MKL_NUM_THREADS")


def import_with(env, *args):
    """Import tinydl in a child process with the thread variables `env` (and no others);
    returns (what it reports, its stderr)."""
    clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(TINYDL_HOME)), *args],
                          env=clean | env | {"PYTHONDONTWRITEBYTECODE": "1"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1]), proc.stderr


def test_the_environment_variable_sets_both_pools_at_import():
    report, stderr = import_with({"TINYDL_NUM_THREADS": "3"})
    assert report["n"] == 3 and set(report["blas"]) <= {3}
    assert "Warning" not in stderr


def test_a_bad_environment_variable_warns_and_uses_the_default():
    report, stderr = import_with({"TINYDL_NUM_THREADS": "lots"})
    assert "RuntimeWarning" in stderr and "TINYDL_NUM_THREADS" in stderr and "'lots'" in stderr
    default, _ = import_with({})
    assert report["n"] == default["n"] >= 1


def test_the_default_respects_a_blas_limit_and_the_cpu_affinity():
    assert import_with({"OPENBLAS_NUM_THREADS": "1"})[0]["n"] == 1
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs a system with CPU affinity and two cores")
    report, _ = import_with({}, "one core")
    assert report["n"] == 1 and report["cpu_count"] >= 2 and set(report["blas"]) <= {1}


def test_the_pool_runs_exactly_n_threads_at_once():
    """Every part waits at a barrier for n parties: it passes only if n parts run at the
    same time; a counter checks that no more than n ever do."""
    for n in (2, 3):
        set_num_threads(n)
        barrier, lock = threading.Barrier(n, timeout=10), threading.Lock()
        active, most, names = [0], [0], set()

        def work(s):
            with lock:
                active[0] += 1
                most[0] = max(most[0], active[0])
                names.add(threading.current_thread().name)
            barrier.wait()
            with lock:
                active[0] -= 1

        over_batch(work, batch=n, elements=n * parallel.MIN_ELEMENTS_PER_THREAD)
        assert most[0] == n and len(names) == n
        # the calling thread does one part itself, the pool's n - 1 threads the others
        caller = threading.current_thread().name
        assert caller in names
        assert all(name.startswith("tinydl") for name in names - {caller})


def test_results_do_not_depend_on_the_thread_count():
    x = np.random.default_rng(0).normal(size=(8, 160, 160, 16)).astype(np.float32)
    grad = np.random.default_rng(1).normal(size=(8, 80, 80, 16)).astype(np.float32)
    results = []
    for n in (1, 3):
        set_num_threads(n)
        t = Tensor(x, requires_grad=True)
        y = F.max_pool2d(F.relu(t), 2)
        y.backward(grad)
        results.append((y.data, t.grad))
    assert parallel._pool is not None            # n = 3 did split the batch
    for a, b in zip(*results):
        assert a.tobytes() == b.tobytes()


@pytest.fixture
def automatic(monkeypatch):
    """The default (automatic) setting with n = 2 on 2 cores, whatever this machine has."""
    parallel._use(2)
    monkeypatch.setattr(parallel, "_auto", True)
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)


@pytest.mark.parametrize("others, expected", [(0, 2), (1, 1), (2, 1), (5, 1)])
def test_adapt_to_load_uses_only_the_free_cores(automatic, monkeypatch, others, expected):
    monkeypatch.setattr(parallel, "other_runnable_threads", lambda: others)
    assert parallel.adapt_to_load() == expected == parallel.threads_in_use()
    assert set(blas_counts()) == {expected}
    assert get_num_threads() == 2                 # the setting itself is unchanged
    monkeypatch.setattr(parallel, "other_runnable_threads", lambda: 0)
    assert parallel.adapt_to_load() == 2 and set(blas_counts()) == {2}   # free again


def test_adapt_to_load_never_changes_a_count_the_user_chose(monkeypatch):
    set_num_threads(2)
    monkeypatch.setattr(parallel, "other_runnable_threads", lambda: 5)
    assert parallel.adapt_to_load() == 2 and set(blas_counts()) == {2}


def test_fit_adapts_at_every_epoch(automatic, monkeypatch):
    calls = []
    monkeypatch.setattr(parallel, "other_runnable_threads", lambda: calls.append(1) or 1)
    model = tinydl.Sequential([tinydl.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32), epochs=3, verbose=0)
    assert len(calls) == 3 and parallel.threads_in_use() == 1


@pytest.mark.skipif(not os.path.exists("/proc/loadavg"), reason="reads Linux's /proc/loadavg")
def test_other_runnable_threads_sees_a_busy_process():
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        deadline = 50
        while deadline and parallel.other_runnable_threads() < 1:   # let it start
            deadline -= 1
        assert parallel.other_runnable_threads() >= 1
    finally:
        busy.kill()
        busy.wait()

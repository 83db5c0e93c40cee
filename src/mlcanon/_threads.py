"""Timing helpers shared by the report's speed rows and the benchmarks.

On a 2-core machine, torch's intra-op threads and BLAS/OpenMP pools that wait for a busy core make
small operations cost milliseconds at random; timing ours and the reference both on one thread
compares the algorithms, not the scheduler.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with one torch intra-op thread and one BLAS/OpenMP thread, then restore both.

    torch is only limited when it is already imported (a NumPy-only check never pays for it);
    BLAS/OpenMP pools through threadpoolctl when it is installed (it comes with scikit-learn),
    which reaches the libraries loaded when the block starts: import the reference first.
    """
    import sys

    import scipy.linalg  # noqa: F401 - threadpoolctl limits only loaded libraries: load scipy's BLAS first

    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    with contextlib.ExitStack() as stack:
        try:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=1))
        except ImportError:  # without threadpoolctl, BLAS keeps its threads
            pass
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(threads)


def best_time(fn: Callable[[], Any], repeats: int = 3) -> float:
    """The fastest of ``repeats`` runs of ``fn()``, in seconds (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def cpu_model() -> str:
    """The processor's model name (Linux's /proc/cpuinfo), else what ``platform`` knows: benchmarks and the
    report both record it beside their figures."""
    import platform
    from pathlib import Path

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()

"""Data-parallel training across processes and machines with ``torch.distributed`` (nothing home-made).

Launched by ``torchrun``, every process runs the same command; torchrun sets ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``. :func:`setup` joins the process group (gloo on the
CPU, NCCL when CUDA is there), the trainer wraps the model in ``DistributedDataParallel`` (gradients are
averaged across processes in ``backward``), gives each process its share of every batch through
``DistributedSampler``, and reduces the metrics across processes. Only the main process (rank 0)
writes files and prints.

    one machine:      torchrun --nproc_per_node=2 -m mlcanon ner train ...
    several machines: torchrun --nnodes=2 --nproc_per_node=8 --rdzv-backend=c10d \
                               --rdzv-endpoint=HOST:29500 --rdzv-id=JOB -m mlcanon ner train ...
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist

__all__ = ["setup", "rank", "world_size", "is_main_process", "barrier", "all_reduce_sum", "all_gather_objects",
           "broadcast_object"]


def setup() -> bool:
    """Join the process group when launched by torchrun (``WORLD_SIZE`` > 1); return whether distributed.

    Safe to call more than once. The backend is NCCL when CUDA is available, gloo otherwise
    (``MLCANON_DIST_BACKEND`` overrides).
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size() > 1
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but this torch build has no torch.distributed")
    backend = os.environ.get("MLCANON_DIST_BACKEND") or ("nccl" if torch.cuda.is_available() else "gloo")
    dist.init_process_group(backend=backend)
    return True


def _active() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    return dist.get_rank() if _active() else 0


def world_size() -> int:
    """The number of processes (1 when not distributed)."""
    return dist.get_world_size() if _active() else 1


def is_main_process() -> bool:
    """True on the process that writes files and prints (rank 0)."""
    return rank() == 0


def barrier() -> None:
    """Wait for every process (no-op when not distributed)."""
    if _active():
        dist.barrier()


def all_reduce_sum(values: list[float]) -> list[float]:
    """Element-wise sum of ``values`` over the processes (float64)."""
    if not _active():
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def all_gather_objects(obj: Any) -> list[Any]:
    """``[obj of rank 0, obj of rank 1, ...]`` on every process (picklable objects)."""
    if not _active():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: Any) -> Any:
    """Rank 0's ``obj`` on every process."""
    if not _active():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]

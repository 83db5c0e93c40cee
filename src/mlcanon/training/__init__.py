"""The one trainer of mlcanon: loop, progress, seeds, atomic checkpoints, resume, early stopping, DDP.

>>> from mlcanon.training import Trainer, TrainConfig
"""

from mlcanon.training.checkpoint import latest_checkpoint, load_checkpoint, load_weights, save_checkpoint, save_weights
from mlcanon.training.distributed import is_main_process
from mlcanon.training.early_stopping import EarlyStopping
from mlcanon.training.progress import ProgressReporter
from mlcanon.training.schedules import Schedule
from mlcanon.training.seeding import generator, rng_state, set_rng_state, set_seed
from mlcanon.training.trainer import TrainConfig, Trainer, TrainResult

__all__ = ["Trainer", "TrainConfig", "TrainResult", "EarlyStopping", "Schedule", "ProgressReporter", "set_seed",
           "generator", "rng_state", "set_rng_state", "save_weights", "load_weights", "save_checkpoint",
           "load_checkpoint", "latest_checkpoint", "is_main_process"]

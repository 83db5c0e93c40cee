"""Run under torchrun (or alone): train the tiny problem without dropout and save the weights and dev score.

    torchrun --nproc_per_node=2 tests/training/_ddp_script.py OUT_DIR
"""

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import _tiny  # noqa: E402

from mlcanon.training import TrainConfig, Trainer, distributed  # noqa: E402

torch.set_num_threads(1)
out = Path(sys.argv[1])
train, dev, V, C = _tiny.trec_slice(400, 200)
model = _tiny.model(V, C, dropout=0.0)
cfg = TrainConfig(epochs=2, batch_size=16, lr=3e-3, metric="accuracy", seed=0)
trainer = Trainer(model, cfg, train, dev_data=dev, loss_fn=_tiny.loss_fn, eval_step=_tiny.eval_step,
                  score=_tiny.score, collate_fn=_tiny.collate, out_dir=out, progress=False)
result = trainer.fit()
if distributed.is_main_process():
    (out / "result.json").write_text(json.dumps({"best": result.best_score, "world": distributed.world_size(),
                                                 "history": result.history}))

"""The trainer on a tiny real problem (a small TextCNN on TREC questions): seeds, accumulation, early
stopping, logs, progress output, checkpoints that survive a kill, resume to the same weights, DDP."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))  # the tiny problem beside this file (importlib import mode)
import _tiny  # noqa: E402
from mlcanon.training import (  # noqa: E402
    EarlyStopping, Schedule, TrainConfig, Trainer, checkpoint, latest_checkpoint, load_checkpoint)
from mlcanon.training.progress import ProgressReporter  # noqa: E402

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def tiny():
    return _tiny.trec_slice(400, 200)


def _trainer(tiny, out=None, dropout=0.5, **cfg):
    train, dev, V, C = tiny
    config = TrainConfig(**{"epochs": 2, "batch_size": 16, "lr": 3e-3, "metric": "accuracy", "seed": 0, **cfg})
    return Trainer(_tiny.model(V, C, dropout=dropout), config, train, dev_data=dev, loss_fn=_tiny.loss_fn,
                   eval_step=_tiny.eval_step, score=_tiny.score, collate_fn=_tiny.collate, out_dir=out,
                   progress=False)


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# -- schedules and early stopping -----------------------------------------------------------------------------
def test_schedules_by_their_formulas():
    lin = Schedule("linear", warmup_steps=4, total_steps=20)
    assert [lin(s) for s in (0, 1, 3, 11, 19)] == [0.25, 0.5, 1.0, 0.5, 0.0]
    cos = Schedule("cosine", warmup_steps=0, total_steps=10)
    assert cos(0) == pytest.approx(0.5 * (1 + torch.cos(torch.tensor(torch.pi / 10)).item()))
    assert cos(9) == pytest.approx(0.0, abs=1e-12)
    noam = Schedule("noam", warmup_steps=100, total_steps=1000)
    d_model, w = 512, 100
    for s in (1, 50, 100, 400):  # Vaswani et al.: d^-0.5 min(s^-0.5, s w^-1.5) = peak * f(s)
        assert d_model**-0.5 * w**-0.5 * noam(s - 1) == pytest.approx(d_model**-0.5 * min(s**-0.5, s * w**-1.5))
    assert Schedule("constant", warmup_steps=2, total_steps=5)(0) == 0.5
    with pytest.raises(ValueError, match="schedule: expected one of"):
        Schedule("step")
    with pytest.raises(ValueError, match="warmup_steps: the noam schedule needs"):
        Schedule("noam", 0, 10)


def test_early_stopping_patience_and_modes():
    es = EarlyStopping(mode="min", patience=2, min_delta=0.01)
    flags = [es.update(v) for v in (1.0, 0.95, 0.945, 0.96)]
    assert flags == [True, True, False, False] and es.should_stop and es.best == 0.95 and es.best_epoch == 1
    with pytest.raises(ValueError, match="score: expected a number, got nan"):
        EarlyStopping().update(float("nan"))
    with pytest.raises(ValueError, match="mode: expected one of"):
        EarlyStopping(mode="up")


def test_config_checks_name_the_argument():
    with pytest.raises(ValueError, match="epochs: expected an int >= 1, got 0"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="optimizer: expected one of"):
        TrainConfig(optimizer="lamb")
    assert TrainConfig(metric="loss").mode == "min" and TrainConfig(metric="f1").mode == "max"


def test_trainer_input_checks(tiny):
    train, dev, V, C = tiny
    m = _tiny.model(V, C)
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module"):
        Trainer("net", TrainConfig(), train, loss_fn=_tiny.loss_fn)
    with pytest.raises(ValueError, match="eval_step, score: give both"):
        Trainer(m, TrainConfig(), train, loss_fn=_tiny.loss_fn, eval_step=_tiny.eval_step)
    with pytest.raises(ValueError, match="train_data: expected at least one example"):
        Trainer(m, TrainConfig(), [], loss_fn=_tiny.loss_fn)
    bad = Trainer(m, TrainConfig(epochs=1, metric="f1"), torch.utils.data.Subset(train, range(16)), dev_data=dev, loss_fn=_tiny.loss_fn,
                  eval_step=_tiny.eval_step, score=_tiny.score, collate_fn=_tiny.collate, progress=False)
    with pytest.raises(ValueError, match=r"metric: expected one of the dev metrics \['accuracy'\], got 'f1'"):
        bad.fit()


# -- determinism ------------------------------------------------------------------------------------------
def test_same_seed_gives_bit_identical_weights_and_scores(tiny):
    # Same code, same machine, same process: every operation repeats exactly (portable: no cross-library floats).
    a, b = _trainer(tiny), _trainer(tiny)
    ra, rb = a.fit(), b.fit()
    assert _same_weights(a.model, b.model)
    assert [r["train_loss"] for r in ra.history] == [r["train_loss"] for r in rb.history]
    assert ra.best_score == rb.best_score
    c = _trainer(tiny, seed=1)
    c.fit()
    assert not _same_weights(a.model, c.model)


def test_accumulating_two_half_batches_equals_one_full_batch(tiny):
    # Without dropout the two runs see the same examples per step (the same permutation): the gradient of
    # the mean over 16 equals the mean of two means over 8 up to float32 summation order.
    full = _trainer(tiny, dropout=0.0, batch_size=16, epochs=1)
    acc = _trainer(tiny, dropout=0.0, batch_size=8, accumulate=2, epochs=1)
    full.fit(), acc.fit()
    assert full.steps_per_epoch == acc.steps_per_epoch == 25
    for k, v in full.model.state_dict().items():
        torch.testing.assert_close(acc.model.state_dict()[k], v, atol=2e-5, rtol=1e-4)


def test_gradient_clipping_bounds_every_sgd_step(tiny):
    # plain SGD: θ' - θ = -lr · g, so with clipping at c every step moves the weights by at most lr · c
    train, dev, V, C = tiny
    moves = []
    t = Trainer(_tiny.model(V, C, dropout=0.0), TrainConfig(epochs=1, batch_size=16, lr=0.5, optimizer="sgd",
                                                            grad_clip=0.01), train, loss_fn=_tiny.loss_fn,
                collate_fn=_tiny.collate, progress=False)
    before = {"w": torch.cat([p.detach().flatten().clone() for p in t.model.parameters()])}

    def record(m):
        now = torch.cat([p.detach().flatten() for p in m.parameters()])
        moves.append(float((now - before["w"]).norm()))
        before["w"] = now.clone()

    t.after_step = record
    t.fit()
    assert len(moves) == 25 and max(moves) <= 0.5 * 0.01 * (1 + 1e-5) and max(moves) > 0.5 * 0.01 * 0.5


def test_the_learning_rate_follows_the_schedule(tiny, tmp_path):
    t = _trainer(tiny, out=tmp_path, epochs=2, schedule="linear", warmup_steps=10, lr=1e-2)
    t.fit()
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    f = Schedule("linear", 10, 50)
    assert [r["lr"] for r in records] == pytest.approx([1e-2 * f(25), 1e-2 * f(50)])


def test_eval_mode_and_no_grad_during_evaluation(tiny):
    seen = []

    def eval_step(m, batch):
        seen.append((m.training, torch.is_grad_enabled()))
        return _tiny.eval_step(m, batch)

    train, dev, V, C = tiny
    t = Trainer(_tiny.model(V, C), TrainConfig(epochs=1, batch_size=32, metric="accuracy"), train, dev_data=dev,
                loss_fn=_tiny.loss_fn, eval_step=eval_step, score=_tiny.score, collate_fn=_tiny.collate,
                progress=False)
    t.fit()
    assert seen and all(s == (False, False) for s in seen) and t.model.training


def test_best_epoch_weights_are_selected_and_early_stopping_stops(tiny, tmp_path):
    # A learning rate far too high makes later epochs worse: the best epoch is an early one.
    t = _trainer(tiny, out=tmp_path, epochs=8, lr=0.3, patience=2, optimizer="sgd")
    r = t.fit()
    scores = [h["dev_accuracy"] for h in r.history]
    assert r.best_score == max(scores) and r.best_epoch == scores.index(max(scores)) + 1
    if r.stopped_early:
        assert len(scores) - r.best_epoch == 2
    assert t.evaluate()["accuracy"] == r.best_score  # the model holds the best epoch's weights


# -- log and progress -------------------------------------------------------------------------------------
def test_log_jsonl_has_one_record_per_epoch(tiny, tmp_path):
    _trainer(tiny, out=tmp_path, epochs=3).fit()
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert [r["step"] for r in records] == [25, 50, 75]
    for r in records:
        assert set(r) == {"epoch", "step", "train_loss", "dev_accuracy", "lr", "seconds"}
        assert 0 < r["train_loss"] < 10 and 0 <= r["dev_accuracy"] <= 1


def test_plain_progress_lines_without_carriage_returns():
    stream = io.StringIO()  # not a terminal
    p = ProgressReporter(2, stream=stream, log_every=2)
    p.start_epoch(0, 5)
    for s in range(1, 6):
        p.step(s, 0.5, 1e-3)
    p.end_epoch({"epoch": 1, "train_loss": 0.5, "dev_f1": 0.75, "lr": 1e-3}, improved=True)
    text = stream.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert len(lines) == 3  # steps 2 and 4, then the epoch line
    assert lines[0].startswith("epoch 1/2  step 2/5  loss 0.5000") and "dev_f1 0.7500  (best)" in lines[-1]


def test_rich_progress_bar_on_a_terminal():
    stream = io.StringIO()
    p = ProgressReporter(1, stream=stream, rich=True)  # what a terminal gets
    p.start_epoch(0, 4)
    for s in range(1, 5):
        p.step(s, 0.25, 1e-3)
    p.end_epoch({"epoch": 1, "train_loss": 0.25, "dev_accuracy": 0.5, "lr": 1e-3}, improved=True)
    p.close()
    text = stream.getvalue()
    assert "epoch 1/1" in text and "4/4" in text and "loss 0.2500" in text and "dev_accuracy 0.5000" in text


# -- checkpoints ------------------------------------------------------------------------------------------
def test_checkpoint_state_loads_with_weights_only(tiny, tmp_path):
    _trainer(tiny, out=tmp_path, epochs=1).fit()
    current = latest_checkpoint(tmp_path / "checkpoint")
    state = torch.load(current / "state.pt", weights_only=True)  # no arbitrary pickle
    assert state["epoch"] == 1 and state["step"] == 25 and len(state["rng"]) == 1
    from safetensors.torch import load_file

    t = _trainer(tiny)
    assert set(load_file(str(current / "model.safetensors"))) == set(t.model.state_dict())


def test_interrupted_checkpoint_write_leaves_the_previous_one(tiny, tmp_path, monkeypatch):
    t = _trainer(tiny, out=tmp_path, epochs=1)
    t.fit()
    before = latest_checkpoint(tmp_path / "checkpoint")

    def dies(*args, **kwargs):  # the process "dies" in the middle of writing the new checkpoint
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.torch, "save", dies)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint(tmp_path / "checkpoint", "e0009-b000000", t.model, {"epoch": 9})
    monkeypatch.undo()
    assert latest_checkpoint(tmp_path / "checkpoint") == before
    state = load_checkpoint(tmp_path / "checkpoint", _trainer(tiny).model)
    assert state["epoch"] == 1
    # A file replaced atomically is the old or the new one, never a part.
    target = tmp_path / "x.txt"
    checkpoint.atomic_write_text(target, "old")
    monkeypatch.setattr(checkpoint.os, "replace", dies)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.atomic_write_text(target, "new")
    assert target.read_text() == "old"


def test_fresh_run_refuses_a_folder_with_a_checkpoint_and_resume_needs_one(tiny, tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume from"):
        _trainer(tiny, out=tmp_path).fit(resume=True)
    _trainer(tiny, out=tmp_path, epochs=1).fit()
    with pytest.raises(FileExistsError, match="holds a checkpoint of an earlier run"):
        _trainer(tiny, out=tmp_path, epochs=1).fit()


def test_resume_in_process_mid_epoch_gives_the_same_weights(tiny, tmp_path):
    ref = _trainer(tiny, out=tmp_path / "ref", epochs=2)
    ref.fit()
    # Stop after step 7 of epoch 1 (checkpoint_every=7 writes one there), then resume in a new trainer.
    part = _trainer(tiny, out=tmp_path / "part", epochs=2, checkpoint_every=7)
    original = part._optimizer_step
    calls = {"n": 0}

    def step_then_die():
        original()
        calls["n"] += 1
        if calls["n"] == 8:
            raise KeyboardInterrupt

    part._optimizer_step = step_then_die
    with pytest.raises(KeyboardInterrupt):
        part.fit()
    assert latest_checkpoint(tmp_path / "part" / "checkpoint").name == "e0000-b000007"
    resumed = _trainer(tiny, out=tmp_path / "part", epochs=2, checkpoint_every=7)
    r = resumed.fit(resume=True)
    assert _same_weights(ref.model, resumed.model)
    assert r.best_score == ref.evaluate()["accuracy"]


def _cli(out, *extra):
    return [sys.executable, "-m", "mlcanon", "textcls", "train", "--model", "textcnn", "--data", "trec",
            "--limit", "400", "--epochs", "3", "--batch-size", "25", "--out", str(out), *extra]


def test_sigkill_after_first_checkpoint_then_resume_equals_uninterrupted_run(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(_cli(tmp_path / "ref"), check=True, env=env, capture_output=True, timeout=300)
    proc = subprocess.Popen(_cli(tmp_path / "run", "--checkpoint-every", "3"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latest = tmp_path / "run" / "checkpoint" / "latest"
    deadline = time.time() + 240
    while not latest.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    killed_at = latest.read_text().strip()
    subprocess.run(_cli(tmp_path / "run", "--checkpoint-every", "3", "--resume"), check=True, env=env,
                   capture_output=True, timeout=300)
    from safetensors.torch import load_file

    a, b = load_file(str(tmp_path / "ref" / "model.safetensors")), load_file(str(tmp_path / "run" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), f"resumed from {killed_at}"
    strip = lambda p: [{k: v for k, v in json.loads(line).items() if k != "seconds"}
                       for line in p.read_text().splitlines()]
    assert strip(tmp_path / "ref" / "log.jsonl") == strip(tmp_path / "run" / "log.jsonl")


def test_two_processes_under_torchrun_match_one_process(tmp_path):
    # Without dropout, a global batch of 16 split 8 + 8 over two gloo processes averages to the same
    # gradient as one process with 16 (DistributedSampler's shares of one permutation), up to float32
    # summation order in the all-reduce: the weights agree to ~1e-5 and the dev scores to an example or so.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    script = str(HERE / "_ddp_script.py")
    subprocess.run([sys.executable, script, str(tmp_path / "one")], check=True, env=env, capture_output=True,
                   timeout=300)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    # torchrun's workers are its children: on a timeout the whole process group goes, not only torchrun.
    proc = subprocess.Popen(torchrun + [script, str(tmp_path / "two")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, stderr[-2000:]
    one = json.loads((tmp_path / "one" / "result.json").read_text())
    two = json.loads((tmp_path / "two" / "result.json").read_text())
    assert one["world"] == 1 and two["world"] == 2
    assert abs(one["best"] - two["best"]) <= 2 / 200
    from safetensors.torch import load_file

    a, b = load_file(str(tmp_path / "one" / "model.safetensors")), load_file(str(tmp_path / "two" / "model.safetensors"))
    for k in a:
        torch.testing.assert_close(b[k], a[k], atol=1e-4, rtol=1e-3)

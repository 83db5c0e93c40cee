"""The benchmarks harness: medians, the ratio, and the JSON it writes."""

import json

import pytest

from benchmarks import harness
from benchmarks.__main__ import available


def test_comparison_median_and_ratio():
    c = harness.Comparison("case", "ref", ours_s=[1.0, 3.0, 2.0], reference_s=[4.0, 4.0, 5.0], goal=1.0)
    assert c.ours_median == 2.0 and c.reference_median == 4.0 and c.ratio == 0.5 and c.goal_met
    d = c.to_dict()
    assert d["ratio"] == 0.5 and d["goal_met"] is True


def test_compare_runs_both_callables_alternately():
    calls = []
    c = harness.compare("x", lambda: calls.append("o"), lambda: calls.append("r"),
                        reference_name="ref", repeats=3, warmup=1)
    assert calls == ["o", "r"] * 4 and len(c.ours_s) == len(c.reference_s) == 3


def test_write_results_records_machine(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    c = harness.Comparison("case", "ref", [1.0], [2.0])
    path = harness.write_results("demo", [c], repeats=1, quick=True)
    payload = json.loads(path.read_text())
    assert payload["benchmark"] == "demo" and payload["machine"]["cpu_count"] >= 1
    assert payload["comparisons"][0]["ratio"] == pytest.approx(0.5)


def test_benchmark_modules_define_run():
    import importlib

    for name in available():
        module = importlib.import_module(f"benchmarks.{name}")
        assert callable(getattr(module, "run", None)), f"benchmarks/{name}.py has no run(repeats, quick)"

"""pytest plugin of ``tools/peer_tests.py``: leaves out the tests of what mlcanon does not provide,
counts the outcome of every other test per file, and stops a test that runs too long.

It reads its instructions from the JSON file named by ``$PEER_SPEC`` (written by peer_tests.py) and
writes its counts to ``$PEER_OUT``, one file per pytest process (``-n`` workers each write their own).
A test is left out (deselected), with the reason recorded, when

- its name matches a pattern of the file's ``deselect`` table (tests of a private function, say), or
- the file has a ``select`` list (pgmpy: the tests that map onto our API) and the name matches none, or
- a parameter of the test is, or names, a class or function of the file's ``not_provided`` table
  (``ExtraTreeClassifier`` in ``parametrize("Tree", [DecisionTreeClassifier, ExtraTreeClassifier])``), or
- the test's own code (nested functions included) refers to a name of that table.

Counting: ``passed`` / ``failed`` are outcomes of the call; ``errors`` a failure in set-up or teardown;
``skipped`` and ``xfailed`` are counted apart and are not "applicable tests that run".
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import signal
import types
from collections import defaultdict

import pytest

_SPEC: dict = {}
_COUNTS: dict = defaultdict(lambda: defaultdict(int))
_FAILURES: dict = defaultdict(list)
_DESELECTED: dict = defaultdict(dict)


def pytest_configure(config):
    path = os.environ.get("PEER_SPEC")
    if path:
        _SPEC.update(json.loads(open(path).read()))


def _file_key(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _test_name(nodeid: str) -> str:
    """'test_x[param]' or 'TestClass::test_x[param]'."""
    return nodeid.split("::", 1)[1] if "::" in nodeid else nodeid


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _param_names(value, depth: int = 0) -> set[str]:
    """Names a parameter value stands for: a class or function's __name__, an instance's class name,
    a string itself; through tuples, lists, dicts and functools.partial."""
    if depth > 3:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, functools.partial):
        return _param_names(value.func, depth + 1)
    if isinstance(value, (tuple, list, set, frozenset)):
        return set().union(*[_param_names(v, depth + 1) for v in value]) if value else set()
    if isinstance(value, dict):
        return set().union(*[_param_names(v, depth + 1) for v in [*value.keys(), *value.values()]]) if value else set()
    if isinstance(value, type) or callable(value) and hasattr(value, "__name__"):
        return {getattr(value, "__name__", "")}
    return {type(value).__name__}


def _reason(item, spec: dict) -> str | None:
    name = _test_name(item.nodeid)
    base = name.split("[", 1)[0]
    for pattern, why in spec.get("deselect", {}).items():
        if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(base, pattern):
            return why
    select = spec.get("select")
    if select is not None and not any(fnmatch.fnmatchcase(base, p) for p in select):
        return "not mapped onto mlcanon's API (see the file's select list)"
    missing = spec.get("not_provided", {})
    if not missing:
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    for value in params.values():
        hit = sorted(_param_names(value) & set(missing))
        if hit:
            return f"parameter {hit[0]}: {missing[hit[0]]}"
    fn = getattr(item, "function", None)
    code = getattr(fn, "__code__", None)
    if code is not None:
        hit = sorted(_code_names(code) & set(missing))
        if hit:
            return f"uses {hit[0]}: {missing[hit[0]]}"
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    files = _SPEC.get("files", {})
    keep, drop = [], []
    for item in items:
        spec = files.get(_file_key(item.nodeid))
        why = _reason(item, spec) if spec is not None else None
        if why is None:
            keep.append(item)
        else:
            drop.append(item)
            _DESELECTED[_file_key(item.nodeid)][_test_name(item.nodeid)] = why
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class _TestTimeout(Exception):
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Stop a test after $PEER_TIMEOUT seconds (SIGALRM; Linux/macOS main thread), as a failure."""
    limit = int(os.environ.get("PEER_TIMEOUT", "0"))
    if not limit or not hasattr(signal, "SIGALRM"):
        yield
        return

    def _alarm(signum, frame):
        raise _TestTimeout(f"peer_tests: stopped after {limit} s (PEER_TIMEOUT)")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def pytest_runtest_logreport(report):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller counts the reports that its workers send back
    counts = _COUNTS[_file_key(report.nodeid)]
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            counts["xfailed" if report.skipped else "xpassed"] += 1
        elif report.passed:
            counts["passed"] += 1
        elif report.failed:
            counts["failed"] += 1
            _FAILURES[_file_key(report.nodeid)].append(_test_name(report.nodeid))
        elif report.skipped:
            counts["skipped"] += 1
    elif report.failed:
        counts["errors"] += 1
        _FAILURES[_file_key(report.nodeid)].append(_test_name(report.nodeid) + f" ({report.when})")
    elif report.skipped and report.when == "setup":
        counts["skipped"] += 1


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("PEER_OUT")
    if not out:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    payload = {"counts": {k: dict(v) for k, v in _COUNTS.items()}, "failures": dict(_FAILURES),
               "deselected": dict(_DESELECTED)}
    with open(f"{out}.{worker}.json", "w") as fh:
        json.dump(payload, fh)

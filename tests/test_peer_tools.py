"""tools/peer_tests.py (make test-peer): the import switch and the deselection rules, on small
sources. The full run (the reference suites themselves) is `make test-peer`, not part of this suite."""

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
peer_tests = pytest.importorskip("peer_tests")
peer_plugin = pytest.importorskip("peer_plugin")
pytest.importorskip("sklearn")


def test_rewrite_switches_only_the_classes_under_test():
    peer = peer_tests.PeerFile("nb", "tests/test_x.py", {"GaussianNB": "mlcanon.classic", "SVC": "mlcanon.classic"})
    source = ("from sklearn.naive_bayes import (\n    CategoricalNB,\n    GaussianNB,\n)\n"
              "from sklearn import svm\nfrom . import helpers\nclf = svm.SVC()\nother = svm.NuSVC()\n")
    out = peer_tests.rewrite(source, peer, "sklearn.tests.test_x", "sklearn")
    assert "from sklearn.naive_bayes import CategoricalNB\n" in out
    assert "from mlcanon.classic import GaussianNB\n" in out
    assert "from sklearn.tests import helpers\n" in out  # relative import made absolute
    assert "clf = _mlcanon_SVC()" in out and "from mlcanon.classic import SVC as _mlcanon_SVC" in out
    assert "other = svm.NuSVC()" in out  # not under test: the reference's own
    compile(out, "test_x.py", "exec")


def _item(nodeid, fn, params=None):
    return SimpleNamespace(nodeid=nodeid, function=fn, callspec=SimpleNamespace(params=params or {}))


class ExtraTreeClassifier:  # stands for a reference class mlcanon does not provide
    pass


def _uses_it():
    return ExtraTreeClassifier  # a global name in the code, as in the reference's test files


def _plain():
    return 1


def test_deselection_rules():
    test_uses_it, test_plain = _uses_it, _plain
    spec = {"not_provided": {"ExtraTreeClassifier": "not ours"}, "deselect": {"test_private*": "private"},
            "select": None}
    assert peer_plugin._reason(_item("f.py::test_plain", test_plain), spec) is None
    assert peer_plugin._reason(_item("f.py::test_uses_it", test_uses_it), spec) == "uses ExtraTreeClassifier: not ours"
    by_param = _item("f.py::test_plain[Extra]", test_plain, {"Tree": ExtraTreeClassifier})
    assert peer_plugin._reason(by_param, spec) == "parameter ExtraTreeClassifier: not ours"
    by_name = _item("f.py::test_plain[x]", test_plain, {"name": "ExtraTreeClassifier"})
    assert peer_plugin._reason(by_name, spec).startswith("parameter ExtraTreeClassifier")
    assert peer_plugin._reason(_item("f.py::test_private_x", test_plain), spec) == "private"
    only = {**spec, "select": ["TestA::test_*"]}
    assert peer_plugin._reason(_item("f.py::TestA::test_plain", test_plain), only) is None
    assert "not mapped" in peer_plugin._reason(_item("f.py::TestB::test_plain", test_plain), only)

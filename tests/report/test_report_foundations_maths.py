"""The report's checks for information theory, classification metrics and conv arithmetic run and
every row is within tolerance."""

import pytest

from mlcanon.report.core import Context, Figure, Row, Table
from mlcanon.report.foundations import conv, info, metrics


@pytest.mark.parametrize(
    "check", [info.entropy_and_mi, metrics.metrics_vs_sklearn, conv.conv_sizes_vs_torch], ids=["info", "metrics", "conv"]
)
def test_check_rows_pass(check):
    items = check(Context())
    rows = [item for item in items if isinstance(item, Row)]
    assert len(rows) >= 4
    failed = [(r.topic, r.ours, r.reference) for r in rows if r.passed is not True]
    assert not failed
    assert any(isinstance(item, (Figure, Table)) for item in items)

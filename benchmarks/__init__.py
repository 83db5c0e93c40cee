"""Speed benchmarks: ours beside the reference library in one process.

Run ``python -m benchmarks NAME`` (or ``make bench``); each writes ``benchmarks/results/NAME.json``.
"""

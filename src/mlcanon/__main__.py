"""``python -m mlcanon`` (and ``torchrun -m mlcanon ...``) runs the command line."""

from mlcanon.cli import app

app()

"""What every task CLI test asserts about bad input: exit code 2, one line on stderr naming the problem."""


def one_line_error(result, *fragments):
    """``result`` (typer's CliRunner) failed as the contract says, and its one line holds each fragment."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in lines[0], lines[0]

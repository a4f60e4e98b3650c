"""The README's REPL tour is an executable example (doctest)."""

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run():
    result = doctest.testfile(
        str(README),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 10
    assert result.failed == 0


def test_readme_opens_with_the_two_commands():
    commands = [
        ln.strip() for ln in README.read_text().splitlines() if ln.startswith("    python3 -m venv")
    ]
    assert commands[0].endswith("symnn tour")
    assert commands[1].endswith("python -m pytest -q")

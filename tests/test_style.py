"""The code base is ruff-clean (ruff is part of the test extra)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install '.[test]')")
    result = subprocess.run(
        [ruff, "check", "symnn", "tests", "benchmarks", "examples", "docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lazy_plotting_names_match_the_plotting_package():
    """symnn lists its plotting functions without importing matplotlib; the lists must agree."""
    import symnn
    from symnn.views import plotting

    assert set(plotting.__all__) - {"FORMATS"} == symnn._PLOTTING
    for name in symnn._PLOTTING:
        assert getattr(symnn, name) is getattr(plotting, name)


def test_every_public_name_resolves_and_tab_completes():
    """The facade loads names on first use; each must exist where the table says, and dir()
    (IPython's tab completion) must list them without importing anything."""
    import symnn

    listed = dir(symnn)
    for name in symnn.__all__:
        assert name in listed
        assert getattr(symnn, name) is not None
    assert symnn.data.seed_data()[0].shape == (4, 3)

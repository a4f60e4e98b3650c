"""Every example script runs on its own and writes its picture; the notebook executes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_script_runs_and_writes_its_picture(script, tmp_path):
    """Pictures go to the folder given on the command line, never into the working folder."""
    if "import torch" in script.read_text(encoding="utf-8"):  # the export examples
        pytest.importorskip("torch")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    out, cwd = tmp_path / "pictures", tmp_path / "cwd"
    cwd.mkdir()
    r = subprocess.run(
        [sys.executable, str(script), str(out)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    written = [line for line in r.stdout.splitlines() if line.startswith("wrote ")]
    assert written
    for line in written:
        for name in line[len("wrote ") :].split(" and "):
            assert Path(name).parent == out and Path(name).stat().st_size > 1000
    assert list(cwd.iterdir()) == []


def test_notebook_executes(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(ROOT / "examples" / "explore.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("text/latex" in o.get("data", {}) for o in outputs)
    assert any("image/png" in o.get("data", {}) for o in outputs)

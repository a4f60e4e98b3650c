"""The LaTeX oracle of the document tests: compile with a real engine and read its log."""

from __future__ import annotations

import re
import subprocess

from symnn.views.documents import overfull_boxes

PACKAGES = {"amsmath", "amssymb", "booktabs", "geometry", "graphicx"}  # graphicx: the tour
NO_ENGINE = (
    "no LaTeX engine installed (pdflatex, lualatex, xelatex or tectonic; Debian: "
    "apt-get install texlive-latex-base texlive-latex-recommended)"
)


def compile_log(engine: str, tex: str, folder) -> str:
    """Compile *tex* in *folder*; the log, after asserting that it compiled cleanly."""
    (folder / "doc.tex").write_text(tex, encoding="utf-8")
    if engine.endswith("tectonic"):
        cmd = [engine, "--keep-logs", "doc.tex"]
    else:
        cmd = [engine, "-interaction=nonstopmode", "-halt-on-error", "-draftmode", "doc.tex"]
    done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, errors="replace")  # fmt: skip
    log = (folder / "doc.log").read_text(encoding="utf-8", errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert done.returncode == 0 and not errors, errors or done.stdout[-2000:]
    assert max(overfull_boxes(log), default=0.0) <= 10.0, re.findall(r"Overfull \\hbox.*", log)
    assert "Overfull \\vbox" not in log  # nothing runs off the bottom of a page
    assert "Undefined control sequence" not in log and "Missing $" not in log
    return log


def assert_standalone(tex: str) -> None:
    """A complete article that uses only widely installed packages and declares the named
    operators it uses (ReLU, softplus, the sigmoid, ...) in its preamble."""
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    used = set()
    for group in re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", tex):
        used |= {p.strip() for p in group.split(",")}
    assert used <= PACKAGES, used - PACKAGES  # nothing exotic
    body = tex.split("\\begin{document}", 1)[1]
    # named operators come from the preamble (a name with digits, ReLU6, cannot be a command)
    assert not re.findall(r"\\operatorname\{[A-Za-z]+\}", body)
    for name in re.findall(r"\\DeclareMathOperator\{\\([A-Za-z]+)\}", tex):
        assert f"\\{name}" in body

"""Regenerate the README's gallery: run the tour and keep small copies of its pictures.

Run from the repository root: ``python docs/make_gallery.py``
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import shutil

from symnn.views.tour import run_tour

HERE = Path(__file__).resolve().parent
PICTURES = [
    "implicit_curve.png",
    "relu.png",
    "activations.png",
    "loss_curve.png",
    "gradient_flow.png",
    "elbow.png",
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = run_tour(Path(tmp) / "tour", echo=print, dpi=60)
        for name in PICTURES:
            shutil.copyfile(result.out / name, HERE / name)
            print(f"docs/{name}: {(HERE / name).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()

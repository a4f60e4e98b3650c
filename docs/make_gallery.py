"""Regenerate the README's gallery and the screenshots of the tour's page.

Run from the repository root: ``python docs/make_gallery.py``

It runs the tour twice: at 60 dpi for the small copies of its pictures the
README shows, and at the tour's own resolution for ``docs/tour.png`` (the top
of ``index.html`` at 1280 px) and ``docs/tour-phone.png`` (the activation
tables at 390 px), taken by headless Chromium from a ``file://`` URL with
networking off. Without Chromium (Debian: ``apt-get install chromium``) the
screenshots are skipped. ``docs/derivation.png`` is the first page of the standalone
LaTeX document of GELU's derivation, built with pdflatex (or lualatex, xelatex,
tectonic) and rendered by ``pdftoppm`` (Debian: poppler-utils); skipped without them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from symnn.views.tour import run_tour

HERE = Path(__file__).resolve().parent
PICTURES = [
    "implicit_curve.png",
    "relu.png",
    "gelu.png",
    "activations.png",
    "loss_curve.png",
    "gradient_flow.png",
    "elbow.png",
    "graph_222.png",
]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]
#: A frame of a given size around the page (a headless window is at least 500 px wide),
#: scrolled to an anchor of the page.
FRAME = (
    '<!DOCTYPE html><html><body style="margin:0"><iframe src="index.html#{a}" width="{w}" '
    'height="{h}" style="border:0"></iframe></body></html>'
)


def screenshot(page: Path, png: Path, width: int, anchor: str, height: int, scale: float) -> None:
    """Save *height* CSS px of *page* from its element *anchor* on, *width* wide, scaled."""
    from PIL import Image

    browser = next(b for b in map(shutil.which, BROWSERS) if b)
    frame = page.with_name("frame.html")
    frame.write_text(FRAME.format(a=anchor, w=width, h=height), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        raw = Path(profile) / "raw.png"
        window = f"--window-size={max(width, 600)},{height}"
        subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", window, f"--screenshot={raw}",
             frame.as_uri()],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        image = Image.open(raw).convert("RGB").crop((0, 0, width, height))
    size = (round(width * scale), round(height * scale))
    image = image.resize(size, Image.LANCZOS).quantize(colors=64, dither=Image.Dither.NONE)
    image.save(png, optimize=True)
    print(f"docs/{png.name}: {png.stat().st_size // 1024} KiB")


def derivation_page(png: Path, what: str = "gelu", dpi: int = 90) -> None:
    """The first page of ``symnn.derive(what).to_latex_document()``, compiled, as *png*."""
    import symnn as sn
    from symnn.views.documents import build_pdf, latex_engine

    if latex_engine() is None or shutil.which("pdftoppm") is None:
        print("no LaTeX engine or no pdftoppm: docs/derivation.png not updated")
        return
    with tempfile.TemporaryDirectory() as tmp:
        pdf = build_pdf(sn.derive(what).to_latex_document(), Path(tmp) / "derivation.pdf")
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                        pdf, str(Path(tmp) / "page")], check=True, timeout=120)  # fmt: skip
        from PIL import Image

        image = Image.open(Path(tmp) / "page.png").convert("L").quantize(colors=16)
        image.save(png, optimize=True)
    print(f"docs/{png.name}: {png.stat().st_size // 1024} KiB")


def main() -> None:
    derivation_page(HERE / "derivation.png")
    with tempfile.TemporaryDirectory() as tmp:
        small = run_tour(Path(tmp) / "small", echo=print, dpi=60)
        for name in PICTURES:
            shutil.copyfile(small.out / name, HERE / name)
            print(f"docs/{name}: {(HERE / name).stat().st_size // 1024} KiB")
        if not any(map(shutil.which, BROWSERS)):
            print("no Chromium: docs/tour.png and docs/tour-phone.png not updated")
            return
        full = run_tour(Path(tmp) / "full", echo=print)
        page = full.out / "index.html"
        screenshot(page, HERE / "tour.png", 1280, "activation-formulas", 1500, 0.75)
        screenshot(page, HERE / "tour-phone.png", 390, "activation-formulas", 1400, 1.0)


if __name__ == "__main__":
    main()

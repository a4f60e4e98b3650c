"""How long plot_implicit takes for the seed's ellipse x^2 + y^2 + xy = 1, per method.

Baseline, measured in the same run: a bare ``sympy.plot_implicit(..., show=False)``
call (which only builds the Plot; SymPy computes lazily), and the same call
rendered (``process_series`` and a canvas draw: the seed's picture).  Every
symnn timing includes drawing its figure too.  Times are the median of
``--repeat`` runs after one warm-up run; ratios are against the rendered SymPy call.

Run: ``python benchmarks/bench_implicit.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import sympy as sp

try:
    import symnn  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symnn.curves import implicit_window
from symnn.views.plotting.curves import plot_implicit

x, y = sp.symbols("x y", real=True)
ELLIPSE = x**2 + y**2 + x * y - 1
WINDOW = implicit_window(ELLIPSE)


def sympy_bare() -> None:
    sp.plot_implicit(ELLIPSE, (x, *WINDOW[0]), (y, *WINDOW[1]), show=False)


def sympy_rendered() -> None:
    p = sp.plot_implicit(ELLIPSE, (x, *WINDOW[0]), (y, *WINDOW[1]), show=False)
    p.process_series()
    p.fig.canvas.draw()
    plt.close(p.fig)


def ours(method: str, window: bool) -> None:
    lims = {"xlim": WINDOW[0], "ylim": WINDOW[1]} if window else {}
    ax = plot_implicit(ELLIPSE, method=method, **lims)
    ax.figure.canvas.draw()
    plt.close(ax.figure)


def ours_classified() -> None:
    ax = plot_implicit(ELLIPSE, classify=True)
    ax.figure.canvas.draw()
    plt.close(ax.figure)


def timed(func, repeat: int) -> float:
    func()  # warm-up: imports, SymPy's caches
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (median)")
    args = parser.parse_args(argv)
    cases = [
        ("sympy.plot_implicit(show=False), not rendered", sympy_bare),
        ("sympy.plot_implicit(show=False), rendered [baseline]", sympy_rendered),
        ("symnn plot_implicit method='contour', auto window", lambda: ours("contour", False)),
        ("symnn plot_implicit method='contour', given window", lambda: ours("contour", True)),
        ("symnn plot_implicit method='sympy', auto window", lambda: ours("sympy", False)),
        ("symnn plot_implicit method='sympy', given window", lambda: ours("sympy", True)),
        ("symnn plot_implicit contour + classify=True", ours_classified),
    ]
    times = [(name, timed(func, args.repeat)) for name, func in cases]
    base = times[1][1]
    print(f"plot_implicit of x^2 + y^2 + xy = 1, median of {args.repeat} runs")
    print(f"{'case':<56} {'seconds':>9} {'x baseline':>11}")
    for name, t in times:
        print(f"{name:<56} {t:9.4f} {t / base:11.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

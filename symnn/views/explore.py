r"""``symnn.explore(activation)``: the function and its derivative, a slider per parameter.

In Jupyter with ``ipywidgets`` installed (the optional extra ``symnn[widgets]``) it
returns an interactive widget: moving a slider redraws :math:`f` and :math:`f'` from the
compiled functions with the new parameter value. Without ``ipywidgets`` it returns a
static figure instead: for each parameter, :math:`f` and :math:`f'` at three values of it
(the default and two around it), so the effect of the parameter is still visible.
``ipywidgets`` is imported only when :func:`explore` runs.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from symnn._validation import check_window
from symnn.catalogue.activations import Activation, as_activation
from symnn.views.plotting.activations import _check_n

__all__ = ["explore", "parameter_range"]


def parameter_range(act: Activation, name: str) -> tuple[float, float]:
    """The slider's interval for parameter *name*: around its default, inside its allowed range.

    >>> from symnn import activation
    >>> parameter_range(activation("leaky_relu"), "alpha")  # alpha > 0
    (0.001, 2.01)
    >>> parameter_range(activation("prelu"), "alpha")  # any real alpha
    (-1.75, 2.25)
    """
    sym = act._param_symbol(name)
    default = float(act.params[sym])
    span = max(abs(default), 1.0)
    lo, hi = default - 2 * span, default + 2 * span
    spec = act.specs.get(sym)
    if spec is not None:  # inside the allowed interval, a little off an open end
        lo = max(lo, spec.low + (1e-3 * span if spec.low_open else 0.0))
        hi = min(hi, spec.high - (1e-3 * span if spec.high_open else 0.0))
    return (round(lo, 12), round(hi, 12))


def _curves(act: Activation, xs: np.ndarray, values: dict[str, float]):
    return act(xs, **values), act.grad(xs, **values)


def explore(
    activation: str | Activation,
    xlim: tuple[float, float] = (-5, 5),
    n: int = 401,
    widgets: bool | None = None,
) -> Any:
    r"""The activation :math:`f` and its derivative :math:`f'` with a slider per parameter.

    Examples
    --------
    >>> fig = explore("elu", widgets=False)  # the static fallback
    >>> [ax.get_title() for ax in fig.axes]
    ['elu: alpha']
    >>> [line.get_gid() for line in fig.axes[0].get_lines()][:6]  # at three values of alpha
    ['function', 'derivative', 'function', 'derivative', 'function', 'derivative']

    Parameters
    ----------
    activation : str or Activation
        A catalogue name, a formula in ``x`` or an :class:`~symnn.Activation`.
    xlim : (float, float)
        The x-range.
    n : int
        Grid points.
    widgets : bool, optional
        ``None`` (default): an ipywidgets slider panel when ipywidgets is installed, the
        static figure otherwise; ``True`` requires ipywidgets (an ImportError says how to
        install it); ``False`` always gives the static figure.

    Returns
    -------
    ipywidgets.Widget or matplotlib.figure.Figure
    """
    act = as_activation(activation)
    xlim = check_window("xlim", xlim)
    n = _check_n(n)
    if widgets not in (None, True, False):
        raise TypeError(f"widgets must be None, True or False, got {widgets!r}")
    ipywidgets = None
    if widgets is not False:
        try:
            ipywidgets = importlib.import_module("ipywidgets")
        except ImportError:
            if widgets:
                raise ImportError(
                    "symnn.explore(..., widgets=True) needs ipywidgets: "
                    "pip install 'symnn[widgets]' (or pip install ipywidgets)"
                ) from None
    xs = np.linspace(*xlim, n)
    if ipywidgets is not None:
        return _widget(act, xs, ipywidgets)
    return _static(act, xs)


def _static(act: Activation, xs: np.ndarray) -> Any:
    import matplotlib.pyplot as plt

    names = list(act.kwnames.values())
    rows = max(1, len(names))
    fig, axes = plt.subplots(rows, 1, figsize=(7, 3.2 * rows), layout="constrained",
                             squeeze=False)  # fmt: skip
    if not names:
        ax = axes[0, 0]
        f, d = _curves(act, xs, {})
        ax.plot(xs, f, color="C0", label=f"${act.lhs(0)}$", gid="function")
        ax.plot(xs, d, color="C1", label=f"${act.lhs(1)}$", gid="derivative")
        ax.set_title(f"{act.name} (no parameters)")
        ax.legend(loc="best", fontsize=9)
    for ax, name in zip(axes[:, 0], names, strict=False):
        lo, hi = parameter_range(act, name)
        default = float(act.params[act._param_symbol(name)])
        for value, alpha in ((lo + (default - lo) / 2, 0.45), (default, 1.0),
                             (default + (hi - default) / 2, 0.45)):  # fmt: skip
            f, d = _curves(act, xs, {name: value})
            ax.plot(xs, f, color="C0", alpha=alpha, gid="function", label=f"f, {name}={value:.6g}")
            ax.plot(xs, d, color="C1", alpha=alpha, ls="--", gid="derivative",
                    label=f"f', {name}={value:.6g}")  # fmt: skip
        ax.set_title(f"{act.name}: {name}")
        ax.legend(loc="best", fontsize=7, ncols=2)
    for ax in axes[:, 0]:
        ax.axhline(0, color="0.6", lw=0.8, zorder=0)
        ax.grid(True, color="0.9", lw=0.6)
        ax.set_xlabel("$x$")
    return fig


def _widget(act: Activation, xs: np.ndarray, ipywidgets: Any) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    (line_f,) = ax.plot(xs, np.zeros_like(xs), color="C0", label=f"${act.lhs(0)}$", gid="function")
    (line_d,) = ax.plot(xs, np.zeros_like(xs), color="C1", ls="--", label=f"${act.lhs(1)}$",
                        gid="derivative")  # fmt: skip
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.grid(True, color="0.9", lw=0.6)
    ax.legend(loc="best")
    ax.set_xlabel("$x$")
    sliders = {}
    for name in act.kwnames.values():
        lo, hi = parameter_range(act, name)
        default = float(act.params[act._param_symbol(name)])
        sliders[name] = ipywidgets.FloatSlider(value=default, min=lo, max=hi,
                                               step=(hi - lo) / 200, description=name)  # fmt: skip
    out = ipywidgets.Output()

    def redraw(**values: float) -> None:
        f, d = _curves(act, xs, values)
        line_f.set_ydata(f)
        line_d.set_ydata(d)
        finite = np.concatenate([f[np.isfinite(f)], d[np.isfinite(d)]])
        if finite.size:
            pad = 0.05 * (finite.max() - finite.min() + 1e-12)
            ax.set_ylim(finite.min() - pad, finite.max() + pad)
        ax.set_title(act.name + "".join(f", {k}={v:.3g}" for k, v in values.items()))
        with out:
            out.clear_output(wait=True)
            try:
                from IPython.display import display

                display(fig)
            except ImportError:  # pragma: no cover - ipywidgets brings IPython
                pass

    for name, slider in sliders.items():
        slider.observe(lambda change, name=name: redraw(**{k: s.value for k, s in
                                                          sliders.items()}), names="value")  # fmt: skip
    redraw(**{k: s.value for k, s in sliders.items()})
    plt.close(fig)  # shown through the Output widget, not twice
    box = ipywidgets.VBox([*sliders.values(), out])
    box.figure, box.sliders, box.redraw = fig, sliders, redraw
    return box

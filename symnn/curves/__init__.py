"""Curves in the plane: conics (exact), implicit and explicit curves (numeric).

The mathematical layer under :mod:`symnn.views.plotting.curves`; it never imports
matplotlib.  One job per module:

* :mod:`symnn.curves.conics` -- :func:`classify_conic`, :class:`Conic`: exact geometry
  of second-degree curves;
* :mod:`symnn.curves.numeric` -- user formulas compiled by :func:`symnn.compiler.compile`
  into real NumPy functions (real branches of odd roots, NaN where undefined), with
  size bounds and time budgets;
* :mod:`symnn.curves.tracing` -- marching squares with exact edge roots, and the
  zeros without a sign change;
* :mod:`symnn.curves.window` -- :func:`implicit_window`, the plot window of a curve;
* :mod:`symnn.curves.implicit` -- :func:`implicit_curve` (curves, inequalities and
  their And/Or/Not) and :func:`implicit_cells` (``sympy.plot_implicit``'s cells);
* :mod:`symnn.curves.explicit` -- :func:`explicit_curve` and :func:`explicit_ylim`
  for :math:`y = f(x)`.

Strings are accepted everywhere and go through :func:`symnn.expr.parse.parse`.
"""

from symnn.curves._input import as_expr as read_curve
from symnn.curves._input import boundary_expr, split_relation, xy_symbols
from symnn.curves.conics import KINDS, Conic, NotAConic, classify_conic, conic_box
from symnn.curves.explicit import explicit_curve, explicit_ylim, single_variable
from symnn.curves.implicit import METHODS, ImplicitCurve, implicit_cells, implicit_curve
from symnn.curves.numeric import Budget, RealFunction, real_function
from symnn.curves.window import DEFAULT_WINDOW, implicit_window

__all__ = [
    "DEFAULT_WINDOW",
    "KINDS",
    "METHODS",
    "Budget",
    "Conic",
    "ImplicitCurve",
    "NotAConic",
    "RealFunction",
    "boundary_expr",
    "classify_conic",
    "conic_box",
    "explicit_curve",
    "explicit_ylim",
    "implicit_cells",
    "implicit_curve",
    "implicit_window",
    "read_curve",
    "real_function",
    "single_variable",
    "split_relation",
    "xy_symbols",
]

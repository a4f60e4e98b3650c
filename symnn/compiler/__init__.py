"""SymPy -> NumPy: stability rules, branch-free piecewise code, readable generated source.

The package, one module per job:

* :mod:`~symnn.compiler.markers` -- SymPy function classes that stand for stable kernels;
* :mod:`~symnn.compiler.registry` -- the rule registry (:class:`Registry`, patterns);
* :mod:`~symnn.compiler.rules` -- the stabilisation rules, one row each, and :func:`stabilize`;
* :mod:`~symnn.compiler.piecewise` -- :func:`branch_free` piecewise code;
* :mod:`~symnn.compiler.printer` -- the NumPy printer;
* :mod:`~symnn.compiler.pipeline` -- :func:`prepare` (the one preparation step),
  :func:`numpy_source`, :func:`compile`;
* :mod:`~symnn.compiler.inplace` -- :class:`InplaceEmitter` (statements into buffers);
* :mod:`~symnn.compiler.kernels` -- the stable kernels generated code calls.

The public surface (other layers import only these names): :func:`compile`,
:class:`CompiledFunction`, :func:`numpy_source`, :func:`prepare`, :func:`stabilize`,
:func:`branch_free`, :class:`InplaceEmitter`, :mod:`kernels`, and the rule registry
:data:`RULES` (with :class:`Registry`, :class:`Rule` and the pattern variables
:data:`U`, :data:`C`, ... for adding a rule).
"""

from symnn.compiler import kernels
from symnn.compiler.inplace import InplaceEmitter
from symnn.compiler.piecewise import branch_free
from symnn.compiler.pipeline import CompiledFunction, compile, numpy_source, prepare
from symnn.compiler.registry import C, Q, Registry, Rule, S, U, V, W
from symnn.compiler.rules import RULES, stabilize

__all__ = [
    "RULES",
    "C",
    "CompiledFunction",
    "InplaceEmitter",
    "Q",
    "Registry",
    "Rule",
    "S",
    "U",
    "V",
    "W",
    "branch_free",
    "compile",
    "kernels",
    "numpy_source",
    "prepare",
    "stabilize",
]

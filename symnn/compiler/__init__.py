"""SymPy -> NumPy: stability rewrites, branch-free piecewise code, readable generated source.

The package's public surface (other layers import only these names):

* :func:`compile` -- one expression to a vectorised, stable NumPy function;
* :func:`numpy_source` -- expressions to NumPy statements (the network's code generator);
* :func:`prepare` -- the one preparation pipeline (stabilise, branch-free, fold constants);
* :func:`stabilize`, :func:`branch_free` -- its steps, for inspection;
* :class:`InplaceEmitter` -- statements that write into preallocated buffers;
* :mod:`symnn.compiler.kernels` -- the stable kernels generated code calls.
"""

from symnn.compiler import kernels
from symnn.compiler.inplace import InplaceEmitter, prepare
from symnn.compiler.pipeline import (
    CompiledFunction,
    branch_free,
    compile,
    numpy_source,
    stabilize,
)

__all__ = [
    "CompiledFunction",
    "InplaceEmitter",
    "branch_free",
    "compile",
    "kernels",
    "numpy_source",
    "prepare",
    "stabilize",
]

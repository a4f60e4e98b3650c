"""Methods that a higher layer provides: a registry, so that imports point one way only.

``Activation.to_torch()`` lives on a catalogue class, but its code is in
:mod:`symnn.export`, a layer above the catalogue and the networks. The method asks this
registry for the function the export layer registered (``provide``) when it was
imported; the lower layer never imports the higher one.

>>> provide("double", lambda v: 2 * v)
>>> call("double", 21)
42
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["call", "provide"]

_HOOKS: dict[str, Callable[..., Any]] = {}

#: Which package provides each hook (for the error message when it is not loaded).
_PROVIDERS = {
    "to_torch": "symnn.export",
    "to_jax": "symnn.export",
    "load_weights_from": "symnn.export",
}


def provide(name: str, fn: Callable[..., Any]) -> None:
    """Register *fn* as the implementation of the hook *name*."""
    _HOOKS[name] = fn


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the implementation of the hook *name*, or explain which import provides it."""
    fn = _HOOKS.get(name)
    if fn is None:
        provider = _PROVIDERS.get(name, "the package that provides it")
        raise RuntimeError(
            f"{name} is provided by {provider}, which is not loaded yet: `import {provider}` "
            f"first (`import symnn` does it on first use of a symnn name)"
        )
    return fn(*args, **kwargs)

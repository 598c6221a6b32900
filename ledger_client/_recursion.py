"""Undo py_ecc's recursion limit: sandan never runs with CPython's depth guard disabled.

``py_ecc`` (imported by ``eth_account``, hence by web3) calls
``sys.setrecursionlimit(100000)`` when it is imported. With that limit a deeply
nested input makes CPython's C-level recursion (the ``json`` decoder, ``repr``,
pydantic) overflow the C stack and segfault the process instead of raising
``RecursionError``. sandan does not use py_ecc's pairing code, so the limit in
force before py_ecc ran is put back as soon as its module has executed, whichever
module imports it and whenever (many imports of web3 are lazy).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

#: CPython's own default; restored if py_ecc was imported before this module.
DEFAULT_RECURSION_LIMIT = 1000

_MODULE = "py_ecc"


class _RestoreLimitLoader(importlib.abc.Loader):
    """Wraps py_ecc's loader: runs the module, then restores the previous recursion limit."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        """Delegate to the wrapped loader."""
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        """Execute py_ecc, then put back the limit it raised."""
        limit = sys.getrecursionlimit()
        try:
            self._loader.exec_module(module)
        finally:
            sys.setrecursionlimit(limit)

    def __getattr__(self, name: str) -> Any:
        # Resource readers, is_package, get_code...: whatever importlib asks the real loader.
        return getattr(self._loader, name)


class _PyEccFinder(importlib.abc.MetaPathFinder):
    """Finds py_ecc through the other finders and wraps its loader (once)."""

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """py_ecc's spec with a restoring loader; ``None`` for every other module."""
        if fullname != _MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _RestoreLimitLoader(spec.loader)
        return spec


def keep_recursion_limit() -> None:
    """Make sure importing py_ecc, now or later, leaves the recursion limit alone."""
    if _MODULE in sys.modules:
        sys.setrecursionlimit(min(sys.getrecursionlimit(), DEFAULT_RECURSION_LIMIT))
    elif not any(isinstance(finder, _PyEccFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PyEccFinder())

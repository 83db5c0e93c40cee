"""Lazy attribute loading for sub-packages (PEP 562), so that importing a package does not
import every module in it: ``from mlcanon.nn import conv_output_size`` must not pay for torch."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_module(package: str, names: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``, where ``names`` maps a public name to
    the sub-module (relative to ``package``) that defines it."""

    def __getattr__(name: str) -> object:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{names[name]}")
        return getattr(module, name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__

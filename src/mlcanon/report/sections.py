"""The report's sections, laid out like the notes: one package each under ``mlcanon.report``.

A later issue adds a module to a section's package (any ``*.py`` in it is imported and its
``@check`` functions registered) without editing the other sections.
"""

from __future__ import annotations

import importlib
import pkgutil

from mlcanon.report.core import Section

SECTIONS: list[Section] = [
    Section("foundations", "基础", "Foundations", 1),
    Section("classic", "经典算法", "Classic algorithms", 2),
    Section("neural", "神经网络", "Neural networks", 3),
    Section("models", "经典模型", "Classic models", 4),
    Section("tasks", "实战任务", "Tasks", 5),
    Section("multimodal", "多模态", "Multimodal", 6),
    Section("questions", "问答", "Questions", 7),
]

BY_KEY = {s.key: s for s in SECTIONS}


def load_section(key: str) -> None:
    """Import every module of section ``key`` so that its checks register."""
    package = importlib.import_module(f"mlcanon.report.{key}")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")

"""newscorpus: clean, deduplicated, multilingual news corpora from the web and WARC archives.

The public API is the names in ``__all__``; they are imported on first use so that the
command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from newscorpus._version import __version__

_EXPORTS = {
    "Document": "newscorpus.document",
    "Translation": "newscorpus.document",
    "SCHEMA": "newscorpus.document",
    "SCHEMA_VERSION": "newscorpus.document",
    "ProcessOptions": "newscorpus.config",
    "RunSummary": "newscorpus.pipeline",
    "ShardResult": "newscorpus.pipeline",
    "process": "newscorpus.pipeline",
    "Executor": "newscorpus.executors",
    "LocalExecutor": "newscorpus.executors",
    "RayExecutor": "newscorpus.executors.ray",
    "Step": "newscorpus.steps",
    "QualityThresholds": "newscorpus.steps",
    "UserError": "newscorpus.errors",
}

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "Document",
    "Executor",
    "LocalExecutor",
    "ProcessOptions",
    "QualityThresholds",
    "RayExecutor",
    "RunSummary",
    "ShardResult",
    "Step",
    "Translation",
    "UserError",
    "__version__",
    "process",
]

if TYPE_CHECKING:
    from newscorpus.config import ProcessOptions
    from newscorpus.document import SCHEMA, SCHEMA_VERSION, Document, Translation
    from newscorpus.errors import UserError
    from newscorpus.executors import Executor, LocalExecutor
    from newscorpus.executors.ray import RayExecutor
    from newscorpus.pipeline import RunSummary, ShardResult, process
    from newscorpus.steps import QualityThresholds, Step


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'newscorpus' has no attribute {name!r}")

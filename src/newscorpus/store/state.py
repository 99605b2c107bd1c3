"""The corpus's private state (``CORPUS/.state``): shard plan, options, completion markers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_DIR = ".state"


def state_dir(corpus: Path) -> Path:
    return corpus / STATE_DIR


def plan_path(corpus: Path) -> Path:
    return state_dir(corpus) / "shards.json"


def options_path(corpus: Path) -> Path:
    return state_dir(corpus) / "options.json"


def marker_path(corpus: Path, shard: int) -> Path:
    return state_dir(corpus) / "done" / f"{shard:05d}.json"


def marker_paths(corpus: Path) -> list[Path]:
    return sorted((state_dir(corpus) / "done").glob("*.json"))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))

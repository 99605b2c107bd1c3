"""The options of ``process``: typed, read from TOML and validated once, before any work.

``ProcessOptions`` holds everything that changes what ``process`` writes (fixed for the
life of a corpus); a ``--config`` file's ``[process]`` table sets them, the command line
goes on top. An unknown table or key, a wrong type or an impossible value is a one-line
``UserError`` from the CLI and the library alike.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from newscorpus.dedup.keys import DedupOptions
from newscorpus.errors import UserError
from newscorpus.steps.filters import QualityThresholds
from newscorpus.warc.reader import DEFAULT_MAX_BODY_BYTES


@dataclass(slots=True)
class ProcessOptions:
    """Everything that changes what ``process`` writes. Fixed for the life of a corpus."""

    languages: tuple[str, ...] = ()
    min_language_score: float = 0.5
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    include_tables: bool = True
    drop_non_articles: bool = True
    drop_paywalled: bool = False
    boilerplate_min_documents: int = 3
    boilerplate_rules: bool = True
    quality: QualityThresholds = field(default_factory=QualityThresholds)
    dedup: DedupOptions = field(default_factory=DedupOptions)

    @property
    def min_words(self) -> int:
        return self.quality.min_words

    def check(self) -> None:
        """Validate once, before any work: a mistake here would be fixed in the corpus."""
        from newscorpus.steps.language import known_languages, language_code

        unknown = sorted(
            code for code in self.languages if language_code(code) not in known_languages()
        )
        if unknown:
            raise UserError(
                f"unknown language code(s): {', '.join(unknown)} (use ISO 639-1 codes, e.g. fr;"
                " the README lists the languages, some need the langid extra)"
            )
        if self.quality.min_words < 0 or not 0 <= self.min_language_score <= 1:
            raise UserError("min_words must be >= 0 and min_language_score within 0..1")
        if self.boilerplate_min_documents < 2:
            raise UserError("boilerplate_min_documents must be at least 2")
        if self.max_body_bytes < 1024:
            raise UserError(f"max_body_bytes must be at least 1024, not {self.max_body_bytes}")
        problem = _impossible_threshold(self.quality)
        if problem:
            raise UserError(problem)
        problem = self.dedup.check()
        if problem:
            raise UserError(problem)

    def as_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = json.loads(json.dumps(asdict(self)))
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "options") -> ProcessOptions:
        """Typed options from a TOML table; an unknown key or a wrong type is a UserError."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise UserError(f"{where}: unknown option {key!r} (known: {', '.join(known)})")
            if key in ("quality", "dedup"):
                kwargs[key] = _table(getattr(cls(), key), value, f"{where}.{key}")
            elif key == "languages":
                kwargs[key] = tuple(sorted({str(v).strip().lower() for v in _list(value, key)}))
            else:
                kwargs[key] = _typed(value, getattr(cls(), key), f"{where}.{key}")
        return cls(**kwargs)


def _impossible_threshold(quality: QualityThresholds) -> str | None:
    """A threshold that could only drop every document (or none, where it must drop)."""
    if quality.max_words < 1 or quality.max_words < quality.min_words:
        return f"quality: max_words must be at least 1 and min_words ({quality.min_words})"
    if quality.short_line_words < 1:
        return "quality: short_line_words must be at least 1"
    if not 0 <= quality.min_mean_word_length <= quality.max_mean_word_length:
        return "quality: need 0 <= min_mean_word_length <= max_mean_word_length"
    for field_ in fields(quality):
        if field_.name in ("min_words", "max_words", "short_line_words") or "word_length" in (
            field_.name
        ):
            continue
        values = getattr(quality, field_.name)
        for value in values if isinstance(values, tuple) else (values,):
            if not 0 <= value <= 1:
                return f"quality: {field_.name} is a share of the text, within 0..1 (not {value})"
    return None


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise UserError(f"{where}: expected a list")
    return value


def _typed(value: Any, default: Any, where: str) -> Any:
    """``value`` checked against the type (and, for a tuple, the length) of ``default``."""
    kind = type(default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is tuple:
        if not isinstance(value, list) or len(value) != len(default):
            raise UserError(f"{where}: expected a list of {len(default)} values, got {value!r}")
        return tuple(
            _typed(v, d, f"{where}[{i}]")
            for i, (v, d) in enumerate(zip(value, default, strict=True))
        )
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UserError(f"{where}: expected {kind.__name__}, got {value!r}")
    return value


def _table(defaults: Any, values: Any, where: str) -> Any:
    """A nested options table (quality thresholds, dedup), typed like its defaults."""
    if not isinstance(values, dict):
        raise UserError(f"{where}: expected a table")
    known = {f.name for f in fields(defaults)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise UserError(f"{where}: unknown option {key!r} (known: {', '.join(sorted(known))})")
        kwargs[key] = _typed(value, getattr(defaults, key), f"{where}.{key}")
    return type(defaults)(**kwargs)


CONFIG_TABLES = frozenset({"process"})  # the tables a --config file may hold


def load_process_options(
    config_file: Path | None,
    min_words: int | None,
    languages: tuple[str, ...],
    keep_duplicates: bool | None = None,
    drop_paywalled: bool | None = None,
) -> ProcessOptions:
    """ProcessOptions from a TOML file's ``[process]`` table (when given), then the
    command line's options on top; every mistake is a one-line UserError."""
    values: dict[str, Any] = {}
    if config_file is not None:
        config = _read_toml(config_file)
        unknown = sorted(set(config) - CONFIG_TABLES)
        if unknown:  # a typo ([proces]) would silently build with the defaults
            raise UserError(
                f"{config_file}: unknown table or key {unknown[0]!r} "
                f"(known: {', '.join(f'[{name}]' for name in sorted(CONFIG_TABLES))})"
            )
        values = config.get("process", {})
        if not isinstance(values, dict):
            raise UserError(f"{config_file}: [process] must be a table")
    options = ProcessOptions.from_dict(values, where=f"{config_file}: [process]")
    if min_words is not None:
        options.quality.min_words = min_words
    if languages:
        options.languages = tuple(sorted({code.strip().lower() for code in languages}))
    if keep_duplicates:
        options.dedup.keep_duplicates = True
    if drop_paywalled:
        options.drop_paywalled = True
    return options


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text, as TOML must be ({exc.reason})") from exc

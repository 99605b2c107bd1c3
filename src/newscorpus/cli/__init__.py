"""The ``newscorpus`` command. The only place that sets up logging handlers and progress:
a module per family of commands, each registering its commands on the group of ``_app``
(``process``, ``corpus``, ``crawl``, ``demo``)."""

from __future__ import annotations

import os
import signal

from newscorpus.cli import corpus, crawl, demo, process  # noqa: F401 (their commands)
from newscorpus.cli._app import INTERRUPTED, cli, end_interrupted_run, interrupt

__all__ = ["cli", "main"]


def main() -> None:
    # Worker processes inherit this: library deprecation chatter is not for users.
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    signal.signal(signal.SIGTERM, interrupt)  # stops a run as Ctrl-C does: cleanly
    try:
        cli(prog_name="newscorpus")
    except SystemExit as stop:
        if stop.code == INTERRUPTED:
            end_interrupted_run()
        raise

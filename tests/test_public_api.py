from __future__ import annotations

import subprocess
import sys

import newscorpus


def test_public_names_resolve() -> None:
    for name in newscorpus.__all__:
        assert getattr(newscorpus, name) is not None
    assert newscorpus.process.__module__ == "newscorpus.pipeline"


def test_cli_help_does_not_import_the_pipeline() -> None:
    code = (
        "import sys\n"
        "from newscorpus.cli import cli\n"
        "assert 'trafilatura' not in sys.modules and 'pyarrow' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_lists_exactly_the_lazy_exports() -> None:
    assert set(newscorpus.__all__) == {"__version__", *newscorpus._EXPORTS}

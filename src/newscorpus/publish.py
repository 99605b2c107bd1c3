"""Publish a corpus as a HuggingFace Hub dataset repository, in one commit.

What goes up: the dataset card, ``manifest.json``, ``boilerplate.json``, ``report.html``
and the Parquet shards (``dropped/`` only when asked). ``.state/`` never does: it is the
corpus's working state, not data. Everything that can be checked without the network
(the corpus, the repository name, a token) is checked first.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus._version import __version__
from newscorpus.corpus import DATA_DIR, VERSIONS_DIR
from newscorpus.errors import UserError
from newscorpus.report import REPORT, write_report
from newscorpus.store.boilerplate import BOILERPLATE_REPORT
from newscorpus.store.card import CARD, render_card
from newscorpus.store.manifest import MANIFEST, read_manifest
from newscorpus.store.parquet import DROPPED_DIR

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"


@dataclass(slots=True)
class PublishPlan:
    repo_id: str
    files: list[str]  # paths relative to the corpus, README.md first
    bytes: int
    url: str = ""
    commit: str = ""
    card: str = field(default="", repr=False)


def plan_publish(corpus: Path, repo_id: str, include_dropped: bool = False) -> PublishPlan:
    """The files to upload and the card to upload with them; no network."""
    if not (corpus / MANIFEST).is_file() or not (corpus / DATA_DIR).is_dir():
        raise UserError(f"{corpus}: not a newscorpus corpus (no {MANIFEST} or {DATA_DIR}/)")
    _check_repo_id(repo_id)
    files = [name for name in (MANIFEST, BOILERPLATE_REPORT, REPORT) if (corpus / name).is_file()]
    # the card's `versions` configuration points at versions/
    folders = [DATA_DIR, VERSIONS_DIR, *([DROPPED_DIR] if include_dropped else [])]
    for folder in folders:
        shards = (p for p in corpus.glob(f"{folder}/*/*.parquet") if p.is_file())
        files += sorted(p.relative_to(corpus).as_posix() for p in shards)
    card = render_card(read_manifest(corpus), repo_id.split("/")[-1], repo_id=repo_id)
    unreadable = [name for name in files if not os.access(corpus / name, os.R_OK)]
    if unreadable:
        raise UserError(
            f"{corpus / unreadable[0]}: cannot read it ({len(unreadable)} such file(s))"
        )
    size = sum((corpus / name).stat().st_size for name in files) + len(card.encode())
    return PublishPlan(repo_id=repo_id, files=[CARD, *files], bytes=size, card=card)


def _check_repo_id(repo_id: str) -> None:
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts):
        raise UserError(f"--repo {repo_id!r}: expected ORG/NAME (or USER/NAME)")
    try:
        from huggingface_hub.utils._validators import validate_repo_id
    except ImportError:
        raise UserError("publishing needs huggingface_hub: pip install 'newscorpus[hf]'") from None
    try:
        validate_repo_id(repo_id)
    except Exception as exc:  # HFValidationError: the Hub's own naming rules
        raise UserError(f"--repo {repo_id!r}: {exc}") from None


def find_token(token: str | None) -> str:
    """``token``, else HF_TOKEN, else the token saved by ``hf auth login``."""
    from huggingface_hub import get_token

    found = token or get_token()
    if not found:
        raise UserError(
            "no HuggingFace token: pass --token, set HF_TOKEN, or run `hf auth login` "
            "(a token with write access, from https://huggingface.co/settings/tokens)"
        )
    return found


def publish(
    corpus: Path,
    repo_id: str,
    token: str | None = None,
    private: bool = False,
    include_dropped: bool = False,
) -> PublishPlan:
    """Create the dataset repository if needed and upload the corpus in one commit."""
    from huggingface_hub import CommitOperationAdd, HfApi

    plan_publish(corpus, repo_id, include_dropped)  # every check before any work
    api = HfApi(token=find_token(token))
    write_report(corpus)  # the page uploaded describes the corpus uploaded
    plan = plan_publish(corpus, repo_id, include_dropped)
    endpoint = os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT)
    operations = [CommitOperationAdd(path_in_repo=CARD, path_or_fileobj=plan.card.encode())]
    operations += [
        CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(corpus / name))
        for name in plan.files[1:]
    ]
    manifest = read_manifest(corpus)
    try:
        repo = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.create_commit(
            repo_id,
            operations,
            repo_type="dataset",
            commit_message=f"newscorpus {__version__}: {manifest.get('documents', 0):,} documents",
        )
    except Exception as exc:
        message = _network_message(exc, endpoint)
        if message is None:
            raise
        raise UserError(message) from None
    plan.url = str(repo)
    plan.commit = str(getattr(commit, "commit_url", ""))
    logger.info("published %s to %s", corpus, plan.url)
    return plan


def _network_message(exc: Exception, endpoint: str) -> str | None:
    """One line for what the network or the Hub did; None for anything else (a bug)."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(exc, OfflineModeIsEnabled):
        return "the HuggingFace Hub is switched off here (HF_HUB_OFFLINE is set)"
    if isinstance(exc, HfHubHTTPError):
        response: Any = exc.response
        status = getattr(response, "status_code", "?")
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        hint = " (is the token allowed to write there?)" if status in (401, 403) else ""
        return f"the Hub refused the upload: HTTP {status}{hint}: {first}"
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError | TimeoutError):
        if exc.filename:  # a file of the corpus, not the network
            return f"{exc.filename}: cannot read it ({exc.strerror or exc})"
    elif not isinstance(exc, OSError) and not type(exc).__module__.startswith(
        ("httpx", "requests", "urllib3", "h11", "ssl")
    ):
        return None
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return f"cannot reach the HuggingFace Hub at {endpoint}: {reason}"

"""Pipeline steps: each one a generator from documents to documents."""

from newscorpus.steps.base import DropSink, Filter, Step
from newscorpus.steps.boilerplate import CountLines, RemoveBoilerplate
from newscorpus.steps.clean import CleanText
from newscorpus.steps.dedup import ApplyDedup, ComputeDedupKeys
from newscorpus.steps.extract import Extract
from newscorpus.steps.filters import QualityFilter, QualityThresholds
from newscorpus.steps.language import IdentifyLanguage
from newscorpus.steps.pages import DropNonArticles, DropPaywalled

__all__ = [
    "ApplyDedup",
    "CleanText",
    "ComputeDedupKeys",
    "CountLines",
    "DropNonArticles",
    "DropPaywalled",
    "DropSink",
    "Extract",
    "Filter",
    "IdentifyLanguage",
    "QualityFilter",
    "QualityThresholds",
    "RemoveBoilerplate",
    "Step",
]

"""Pipeline steps: each one a generator from documents to documents."""

from newscorpus.steps.base import Step
from newscorpus.steps.clean import CleanText
from newscorpus.steps.dedup import DropRepeatedIds
from newscorpus.steps.extract import Extract
from newscorpus.steps.filters import QualityFilter
from newscorpus.steps.language import IdentifyLanguage

__all__ = ["CleanText", "DropRepeatedIds", "Extract", "IdentifyLanguage", "QualityFilter", "Step"]

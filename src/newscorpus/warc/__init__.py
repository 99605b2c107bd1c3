"""WARC in and out: the archive format every stage after the crawl reads."""

from newscorpus.warc.reader import ReadStats, WarcResponse, read_responses, response_offsets
from newscorpus.warc.writer import WarcFileWriter

__all__ = ["ReadStats", "WarcFileWriter", "WarcResponse", "read_responses", "response_offsets"]

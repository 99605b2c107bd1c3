"""What a corpus holds, for people: the self-contained ``report.html``."""

from newscorpus.report.page import REPORT, write_report

__all__ = ["REPORT", "write_report"]

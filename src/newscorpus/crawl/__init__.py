"""The crawler (scrapy): discovery, politeness, safety, resume. Its only product is WARC."""

from newscorpus.crawl.runner import CrawlOptions, CrawlSummary, run_crawl

__all__ = ["CrawlOptions", "CrawlSummary", "run_crawl"]

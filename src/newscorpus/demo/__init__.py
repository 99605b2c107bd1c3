"""The bundled demo: multilingual news sites served on loopback."""

from newscorpus.demo.server import DemoSite
from newscorpus.demo.snapshot import snapshot_to_warc

__all__ = ["DemoSite", "snapshot_to_warc"]

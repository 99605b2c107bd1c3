"""The bundled demo: multilingual news sites served on loopback."""

from newscorpus.demo.server import DemoSite

__all__ = ["DemoSite"]

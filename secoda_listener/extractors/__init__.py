"""Extractors: per-operator lineage, and the extension point for users.

Write your own by subclassing :class:`BaseExtractor`; see the README section
"Write your own extractor".
"""

from secoda_listener.extractors.base import BaseExtractor
from secoda_listener.lineage import Dataset, Lineage

__all__ = ["BaseExtractor", "Dataset", "Lineage"]

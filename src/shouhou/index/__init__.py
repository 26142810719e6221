"""The perceptual-hash reuse index: PDQ hashes of every screened photo, searchable and saved atomically."""

from shouhou.index.hashing import PhotoHashes, index_hashes, query_hashes
from shouhou.index.store import Entry, IndexUnreadable, Match, ReuseIndex

__all__ = ["Entry", "IndexUnreadable", "Match", "PhotoHashes", "ReuseIndex", "index_hashes", "query_hashes"]

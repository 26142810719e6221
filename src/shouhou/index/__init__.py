"""The perceptual-hash reuse index: PDQ hashes of every screened photo, searchable and saved atomically."""

from shouhou.errors import IndexUnreadable
from shouhou.index.hashing import PhotoHashes, index_hashes, query_hashes
from shouhou.index.store import Entry, Match, ReuseIndex

__all__ = ["Entry", "IndexUnreadable", "Match", "PhotoHashes", "ReuseIndex", "index_hashes", "query_hashes"]

"""Exceptions raised by the merge engine.

Every error raised by ``sync`` derives from one base, so a caller can catch
them all at once::

    SyncError
    ├── InvalidStamp      a clock stamp does not match the stamp format
    ├── InvalidMutation   a mutation is malformed or names the wrong record
    └── InvalidRecord     a stored record lacks the metadata the merge needs
"""


class SyncError(Exception):
    """Base class of every error raised by the merge engine."""


class InvalidStamp(SyncError, ValueError):
    """Raised when a hybrid logical clock stamp cannot be parsed or built."""


class InvalidMutation(SyncError, ValueError):
    """Raised when a mutation is malformed or does not match its record."""


class InvalidRecord(SyncError, ValueError):
    """Raised when a stored record cannot be merged into."""

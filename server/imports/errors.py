"""Errors that stop a whole file from being imported.

Problems on single lines are not exceptions: they are reported as
:class:`~server.imports.rows.LineIssue` and the other lines still import.

    ImportFileError (ValueError)
    ├── UnsupportedEncodingError
    ├── UnknownFormatError
    └── MissingColumnsError
"""

from __future__ import annotations


class ImportFileError(ValueError):
    """Base of the errors that reject a file as a whole."""


class UnsupportedEncodingError(ImportFileError):
    """Raised when the bytes are neither UTF-8 nor Big5 (code page 950)."""


class UnknownFormatError(ImportFileError):
    """Raised when the header matches none of the export formats."""


class MissingColumnsError(ImportFileError):
    """Raised when the header lacks a column the detected format requires."""

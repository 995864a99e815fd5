"""Read CSV exports of deals into canonical rows plus a per-line report.

This package parses only: it touches no database and no network. Formats:
``crm_dataset`` (the public CRM Sales Opportunities data set), ``pipedrive``,
``hubspot``, ``salesforce_api``, ``salesforce_report`` and ``generic`` (the
Dealbook template). docs/import.md lists their columns and rules.

Stream a large file::

    with open_import(path) as stream:
        for item in stream:  # ImportedDeal or LineIssue, in file order
            ...

or collect a small one with ``parse_file(path)``.
"""

from __future__ import annotations

from .dataset import CrmDataset, load_crm_dataset
from .errors import (
    ImportFileError,
    MissingColumnsError,
    UnknownFormatError,
    UnsupportedEncodingError,
)
from .rows import (
    STAGES,
    ImportedAccount,
    ImportedDeal,
    ImportedProduct,
    ImportedTeam,
    ImportedTeamMember,
    LineIssue,
    ParseReport,
)
from .stream import FORMATS, ImportStream, parse_file

open_import = ImportStream

__all__ = [
    "FORMATS",
    "STAGES",
    "CrmDataset",
    "ImportFileError",
    "ImportStream",
    "ImportedAccount",
    "ImportedDeal",
    "ImportedProduct",
    "ImportedTeam",
    "ImportedTeamMember",
    "LineIssue",
    "MissingColumnsError",
    "ParseReport",
    "UnknownFormatError",
    "UnsupportedEncodingError",
    "load_crm_dataset",
    "open_import",
    "parse_file",
]

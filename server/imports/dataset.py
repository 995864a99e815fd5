"""Load the whole "CRM Sales Opportunities" data set from its folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from . import crm_dataset
from .detect import open_text, read_rows
from .record import Record
from .rows import (
    ImportedAccount,
    ImportedDeal,
    ImportedProduct,
    ImportedTeam,
    ImportedTeamMember,
    LineIssue,
)
from .stages import normalise_label
from .stream import ImportStream

T = TypeVar("T")


@dataclass
class CrmDataset:
    """The data set's reference tables, with its deals left to stream."""

    folder: Path
    accounts: dict[str, ImportedAccount]  # by account name
    products: dict[str, ImportedProduct]  # by name as products.csv writes it
    members: list[ImportedTeamMember]
    teams: dict[str, ImportedTeam]  # by manager
    issues: list[LineIssue] = field(default_factory=list)  # from the three small files

    @property
    def pipeline_path(self) -> Path:
        """Return the path of sales_pipeline.csv."""
        return self.folder / "sales_pipeline.csv"

    def product_catalog(self) -> dict[str, ImportedProduct]:
        """Return the products keyed by normalised name, as deal parsing looks them up."""
        return {normalise_label(p.name): p for p in self.products.values()}

    def open_deals(self, track_duplicates: bool = True) -> ImportStream:
        """Open sales_pipeline.csv as a stream; close it when done."""
        return ImportStream(
            self.pipeline_path,
            format="crm_dataset",
            products=self.product_catalog(),
            track_duplicates=track_duplicates,
        )

    def iter_deals(
        self, track_duplicates: bool = True
    ) -> Iterator[ImportedDeal | LineIssue]:
        """Yield the deals and line issues of sales_pipeline.csv in file order."""
        with self.open_deals(track_duplicates) as stream:
            yield from stream


def load_crm_dataset(folder: str | os.PathLike[str]) -> CrmDataset:
    """Read accounts.csv, products.csv and sales_teams.csv from ``folder``.

    Deals are not read here: call :meth:`CrmDataset.iter_deals`.
    """
    root = Path(folder)
    issues: list[LineIssue] = []
    accounts = _read_table(root / "accounts.csv", crm_dataset.build_account, issues)
    products = _read_table(root / "products.csv", crm_dataset.build_product, issues)
    members = _read_table(
        root / "sales_teams.csv", crm_dataset.build_team_member, issues
    )

    return CrmDataset(
        folder=root,
        accounts={account.name: account for account in accounts},
        products={product.name: product for product in products},
        members=members,
        teams=_group_teams(members),
        issues=issues,
    )


def _read_table(
    path: Path, build: Callable[[Record], T | None], issues: list[LineIssue]
) -> list[T]:
    text, encoding, delimiter, owned = open_text(path)
    items: list[T] = []
    try:
        rows = read_rows(text, delimiter, encoding)
        _, header = next(rows, (1, []))
        for line, cells in rows:
            record = Record(line, header, cells, date_order="mdy")
            item = build(record)
            issues.extend(record.issues)
            if item is not None:
                items.append(item)
    finally:
        text.close()
        if owned is not None:
            owned.close()

    return items


def _group_teams(members: list[ImportedTeamMember]) -> dict[str, ImportedTeam]:
    agents: dict[str, list[str]] = {}
    offices: dict[str, str] = {}
    for member in members:
        agents.setdefault(member.manager, []).append(member.agent)
        offices.setdefault(member.manager, member.office)

    return {
        manager: ImportedTeam(manager, offices[manager], tuple(names))
        for manager, names in agents.items()
    }

"""The public "CRM Sales Opportunities" data set (sales_pipeline.csv and friends).

Its deal_stage column holds Prospecting, Engaging, Won and Lost:

- Prospecting is ``prospecting``, open.
- Engaging is ``initial_contact``, open. The data set defines engage_date as
  the day the deal entered Engaging, the first stage with the buyer's
  involvement, which is what ``initial_contact`` records. Nothing in the data
  shows qualification, proposal or later work, so no later stage is claimed.
- Won is ``closing``, won: a won deal went through every stage.
- Lost is ``initial_contact``, lost, when the deal has an engage_date (every
  lost deal in the published file does), else ``prospecting``. The file does
  not say where a lost deal stopped, so it sits at the furthest stage the data
  proves, and stage funnels do not count it as having reached ``closing``.

Value: close_value when present (0 for lost deals, as published). An open deal
has no close_value, so it takes its product's list price from products.csv,
matched by a normalised name because the pipeline spells "GTX Pro" as
"GTXPro". There is no currency (USD is implied), no creation date, no
probability and no contact.
"""

from __future__ import annotations

from decimal import Decimal

from .format import ExportFormat, ProductCatalog
from .record import Record
from .rows import ImportedAccount, ImportedDeal, ImportedProduct, ImportedTeamMember
from .stages import normalise_label

PIPELINE_COLUMNS = (
    "opportunity_id", "sales_agent", "product", "account", "deal_stage",
    "engage_date", "close_date", "close_value",
)

DEAL_STAGES = {
    "prospecting": ("prospecting", "open"),
    "engaging": ("initial_contact", "open"),
    "won": ("closing", "won"),
    "lost": ("initial_contact", "lost"),
}

NO_ACCOUNT = "no account"


def find_product(products: ProductCatalog, name: str) -> ImportedProduct | None:
    """Return the catalogue product whose normalised name matches ``name``."""
    return products.get(normalise_label(name))


def build_deal(record: Record, products: ProductCatalog) -> ImportedDeal | None:
    """Build a deal from a sales_pipeline.csv row, or None after its errors."""
    external_id = record.required_text("opportunity_id")
    agent = record.required_text("sales_agent")
    product_name = record.required_text("product")
    label = record.required_text("deal_stage")
    engaged_at = record.date("engage_date")
    closed_at = record.date("close_date")
    value, _ = record.amount("close_value")
    mapped = DEAL_STAGES.get((label or "").casefold())
    if label and mapped is None:
        record.error(
            "deal_stage",
            label,
            f"Stage {label!r} is not a stage of this data set; expected "
            "Prospecting, Engaging, Won or Lost.",
            "unknown_stage",
        )
    if record.has_errors or None in (external_id, agent, product_name, mapped):
        return None

    stage, status = mapped
    if status == "lost" and engaged_at is None:
        stage = "prospecting"
    product = find_product(products, product_name)
    if status == "lost" and value is None:
        value = Decimal(0)
    if status == "open" and value is None:
        value = _list_price(record, product, product_name, bool(products))
    account = record.text("account")
    name = product.name if product else product_name

    return ImportedDeal(
        source="crm_dataset",
        external_id=external_id,
        title=f"{name} for {account or NO_ACCOUNT}",
        account_name=account,
        contact_name=None,
        owner=agent,
        stage=stage,
        status=status,
        value=value,
        currency="USD",
        engaged_at=engaged_at,
        closed_at=closed_at,
        product=name,
        line=record.line,
    )


def _list_price(
    record: Record,
    product: ImportedProduct | None,
    product_name: str,
    products_loaded: bool,
) -> Decimal | None:
    # Without products.csv (parse_file on sales_pipeline.csv alone) the value
    # stays empty and no warning is given, since no product could be found.
    if product is None and products_loaded:
        record.warn(
            "product",
            product_name,
            f"Product {product_name!r} is not in products.csv, so this open "
            "deal has no value.",
            "unknown_product",
        )
        return None

    return product.list_price if product else None


def build_account(record: Record) -> ImportedAccount | None:
    """Build an account from an accounts.csv row, or None after its errors."""
    name = record.required_text("account")
    year = record.decimal("year_established")
    revenue = record.decimal("revenue")
    employees = record.decimal("employees")
    if name is None or record.has_errors:
        return None

    return ImportedAccount(
        name=name,
        sector=record.text("sector"),
        year_established=int(year) if year is not None else None,
        revenue_musd=revenue,
        employees=int(employees) if employees is not None else None,
        country=record.text("office_location"),
        parent=record.text("subsidiary_of"),
        line=record.line,
    )


def build_product(record: Record) -> ImportedProduct | None:
    """Build a product from a products.csv row, or None after its errors."""
    name = record.required_text("product")
    price, _ = record.amount("sales_price")
    if name is None or record.has_errors:
        return None

    return ImportedProduct(name, record.text("series"), price, record.line)


def build_team_member(record: Record) -> ImportedTeamMember | None:
    """Build a team member from a sales_teams.csv row, or None after its errors."""
    agent = record.required_text("sales_agent")
    manager = record.required_text("manager")
    office = record.required_text("regional_office")
    if agent is None or manager is None or office is None:
        return None

    return ImportedTeamMember(agent, manager, office, record.line)


FORMAT = ExportFormat(
    name="crm_dataset",
    description="CRM Sales Opportunities sales_pipeline.csv",
    signature=PIPELINE_COLUMNS,
    required=PIPELINE_COLUMNS,
    build_deal=build_deal,
)

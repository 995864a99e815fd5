"""A generated demo book: several teams with deals in every stage.

The book is made from a fixed random seed, so every fresh install shows the
same pipeline, and dates are relative to today so follow-ups are due soon.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from .auth import hash_password
from .entities import STAGES
from .models import Team, User, db
from .records import ServerWriter

DEMO_PASSWORD = "dealbook-demo"

TEAMS = (
    ("North", "Oslo", ("Ingrid Berg", "Lars Dahl", "Sofie Lund")),
    ("Central", "Chicago", ("Maria Lopez", "James Carter", "Aisha Khan")),
    ("Taiwan", "Taipei", ("Chen Mei-ling", "Lin Wei-ting", "Wang Chih-hao")),
)
MANAGERS = {"North": "Erik Holm", "Central": "Dana Brooks", "Taiwan": "Huang Ya-wen"}
TIME_ZONES = {"North": "Europe/Oslo", "Central": "America/Chicago", "Taiwan": "Asia/Taipei"}
CURRENCIES = {"North": "EUR", "Central": "USD", "Taiwan": "TWD"}
COUNTRIES = {"North": "Norway", "Central": "United States", "Taiwan": "Taiwan"}

COMPANY_WORDS = (
    "Acme", "Borealis", "Cedar", "Delta", "Everest", "Fjord", "Granite", "Harbor",
    "Ion", "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orion", "Pioneer",
)
COMPANY_KINDS = ("Logistics", "Health", "Foods", "Energy", "Retail", "Labs", "Systems")
SECTORS = ("logistics", "medical", "retail", "energy", "software", "finance")
PRODUCTS = (
    ("Rack server refresh", 48000),
    ("Edge gateways", 12500),
    ("Support renewal", 6800),
    ("Storage expansion", 23000),
    ("Laptop fleet", 31000),
    ("Network upgrade", 17500),
)
NOTE_LINES = (
    "Met the IT lead on site; budget is approved for Q{q}.",
    "Call with procurement: they want a second quote before signing.",
    "Demo went well; the CFO asked for a three-year cost comparison.",
    "Visited the warehouse; current hardware is past end of life.",
    "They are comparing us with a cheaper vendor; stress support response times.",
)
FIRST_NAMES = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Quinn")
LAST_NAMES = ("Smith", "Novak", "Tanaka", "Silva", "Nguyen", "Olsen", "Weber", "Costa")


def email_for(name: str, team: str) -> str:
    local = name.lower().replace(" ", ".").replace("-", "")
    return f"{local}@{team.lower()}.demo.dealbook.test"


def book_is_empty() -> bool:
    return db.session.scalar(db.select(db.func.count()).select_from(Team)) == 0


def load_demo_book(today: date | None = None, seed: int = 7) -> list[dict[str, str]]:
    """Create the demo teams, users and book; return the logins made."""
    today = today or date.today()
    rng = random.Random(seed)
    logins: list[dict[str, str]] = []
    password_hash = hash_password(DEMO_PASSWORD)

    for team_name, office, rep_names in TEAMS:
        team = Team(name=team_name, office=office)
        db.session.add(team)
        db.session.flush()
        people = [(MANAGERS[team_name], "manager")] + [(n, "rep") for n in rep_names]
        users = []
        for name, role in people:
            user = User(
                team_id=team.id,
                email=email_for(name, team_name),
                name=name,
                role=role,
                password_hash=password_hash,
                time_zone=TIME_ZONES[team_name],
            )
            db.session.add(user)
            users.append(user)
            logins.append({"team": team_name, "role": role, "email": user.email})
        db.session.flush()
        fill_team_book(team, [u for u in users if u.role == "rep"], rng, today)

    db.session.commit()
    return logins


def fill_team_book(team: Team, reps: list[User], rng: random.Random, today: date) -> None:
    writer = ServerWriter(team)
    currency = CURRENCIES[team.name]
    scale = 30 if currency == "TWD" else 1

    accounts = []
    for word in rng.sample(COMPANY_WORDS, 10):
        account = writer.create(
            "account",
            {
                "name": f"{word} {rng.choice(COMPANY_KINDS)}",
                "sector": rng.choice(SECTORS),
                "country": COUNTRIES[team.name],
            },
        )
        contacts = [
            writer.create(
                "contact",
                {
                    "account_id": account.id,
                    "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "email": f"buyer{rng.randint(10, 99)}@{word.lower()}.example",
                    "phone": f"+1 555 01{rng.randint(10, 99)}",
                    "title": rng.choice(("CIO", "IT manager", "Procurement lead")),
                },
            )
            for _ in range(rng.randint(1, 2))
        ]
        accounts.append((account, contacts))
    db.session.flush()

    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    for index in range(32):
        stage = STAGES[index % len(STAGES)]
        account, contacts = rng.choice(accounts)
        product, list_price = rng.choice(PRODUCTS)
        owner = reps[index % len(reps)]
        status = "open"
        if stage == "post_sales":
            status = "won"
        elif stage == "closing" and index % 3 == 0:
            status = "lost"
        deal = writer.create(
            "deal",
            {
                "title": f"{product} for {account.name}",
                "account_id": account.id,
                "contact_id": contacts[0].id,
                "stage": stage,
                "value": Decimal(list_price * scale * rng.randint(5, 15) // 10),
                "currency": currency,
                "expected_close": today + timedelta(days=rng.randint(7, 120)),
                "owner_id": owner.id,
                "status": status,
                "description": f"{product}; decision expected this quarter.",
                "product": product,
                "source": "demo",
            },
        )
        db.session.flush()
        for _ in range(rng.randint(0, 2)):
            writer.create(
                "note",
                {
                    "deal_id": deal.id,
                    "author_id": owner.id,
                    "met_at": now - timedelta(days=rng.randint(1, 30)),
                    "body": rng.choice(NOTE_LINES).format(q=rng.randint(1, 4)),
                },
            )
        if status == "open" and index % 2 == 0:
            writer.create(
                "followup",
                {
                    "deal_id": deal.id,
                    "assignee_id": owner.id,
                    "due_at": now + timedelta(hours=rng.randint(-24, 24 * 14)),
                    "done": False,
                },
            )
    writer.finish()

"""Configuration read from the environment, with defaults for a laptop."""

import os
from pathlib import Path

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"


def load_config(instance_path: str) -> dict:
    """Build the configuration from DEALBOOK_* environment variables."""
    default_db = "sqlite:///" + os.path.join(instance_path, "dealbook.sqlite3")
    database_url = os.environ.get("DEALBOOK_DATABASE_URL", default_db)
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver this project installs.
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    origins = os.environ.get("DEALBOOK_CORS_ORIGINS", "")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "CORS_ORIGINS": [o.strip() for o in origins.split(",") if o.strip()],
        "PWA_DIR": os.environ.get("DEALBOOK_PWA_DIR", str(PWA_DIR)),
        "TOKEN_TTL_DAYS": int(os.environ.get("DEALBOOK_TOKEN_TTL_DAYS", "30")),
        "VAPID_SUBJECT": os.environ.get(
            "DEALBOOK_VAPID_SUBJECT", "mailto:operator@dealbook.invalid"
        ),
        "JSON_SORT_KEYS": False,
        # The largest request body; a full sync batch of 500 long notes fits.
        # Uploads of CSV files set their own limit.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    }

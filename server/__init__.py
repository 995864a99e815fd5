"""Dealbook's Flask API: `create_app` wires configuration, storage and routes."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from flask_cors import CORS

from . import errors
from .config import load_config
from .db import db, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the app; `config` overrides what the environment sets."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    logging.basicConfig(level=os.environ.get("DEALBOOK_LOG_LEVEL", "INFO"))

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    CORS(
        app,
        resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    errors.init_app(app)

    from . import auth, cli, rules, web
    from .api import push, sync, team
    from .api import imports, kpis

    app.register_blueprint(auth.bp)
    app.register_blueprint(sync.bp)
    app.register_blueprint(team.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(kpis.bp)
    push.init_app(app)
    rules.init_app(app)
    cli.init_app(app)
    if os.environ.get("DEALBOOK_SCHEDULER") == "thread":
        from . import scheduler

        scheduler.start_background(app)
    return app

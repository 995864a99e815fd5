"""Run the scheduler once in a process of its own: URL INSTANCE_PATH NOW.

The two-process test starts two of these on one database and prints each
run's report as JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime

from server import create_app
from server.scheduler import run_once


def main(url: str, instance_path: str, now: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    app.instance_path = instance_path
    with app.app_context():
        report = run_once(datetime.fromisoformat(now), sleep=lambda _: None, batch_size=5)
    print(json.dumps(asdict(report)))


if __name__ == "__main__":
    main(*sys.argv[1:])

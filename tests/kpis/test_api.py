"""`GET /api/kpis` and `/api/pipelines`: access, parameters and JSON shapes."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from server.models import Deal, db


def test_kpis_json_for_team_and_rep(app, client, book):
    ana = book.members["ana"]
    with app.app_context():
        db.session.add(Deal(team_id=ana.team_id, owner_id=ana.id, title="Racks",
                            stage="proposal", value=Decimal("1234.50")))
        db.session.commit()

    team = client.get("/api/kpis?start=2025-01-01&end=2025-02-01", headers=ana.headers)
    own = client.get(f"/api/kpis?owner_id={ana.id}", headers=ana.headers)
    teammate = client.get(
        f"/api/kpis?owner_id={book.members['ben'].id}", headers=ana.headers
    )

    assert team.status_code == 200
    body = team.get_json()
    assert body["period"] == {"start": "2025-01-01", "end": "2025-02-01"}
    assert body["open"]["USD"]["value"] == "1234.50"
    assert body["open"]["USD"]["weighted_value"] == "617.25"
    assert body["win_rate"] == {"won": 0, "lost": 0, "rate": None}
    assert own.get_json()["open"]["USD"]["deals"] == 1
    assert teammate.status_code == 200
    assert teammate.get_json()["open"] == {}


def test_kpis_reject_bad_parameters(client, book):
    ana = book.members["ana"]

    bad_date = client.get("/api/kpis?start=2025-13-01", headers=ana.headers)
    reversed_period = client.get(
        "/api/kpis?start=2025-02-01&end=2025-01-01", headers=ana.headers
    )
    other_team = client.get(
        f"/api/kpis?owner_id={book.members['sia'].id}", headers=ana.headers
    )
    anonymous = client.get("/api/kpis")

    assert bad_date.status_code == 400
    assert "'2025-13-01'" in bad_date.get_json()["message"]
    assert reversed_period.status_code == 400
    assert "2025-01-01" in reversed_period.get_json()["message"]
    assert other_team.status_code == 404
    assert book.members["sia"].id in other_team.get_json()["message"]
    assert anonymous.status_code == 401


def test_pipelines_changed_by_manager_only(app, client, book):
    ana, max_ = book.members["ana"], book.members["max"]
    pipelines = client.get("/api/pipelines", headers=ana.headers).get_json()["pipelines"]
    assert [s["probability"] for s in pipelines[0]["stages"]] == [
        5, 10, 20, 30, 50, 70, 90, 100,
    ]
    pipelines[0]["stages"][4]["probability"] = 60
    pipelines.append({"key": "renewals", "name": "Renewals",
                      "stages": [{"key": "negotiation"}, {"key": "closing"}]})

    by_rep = client.put("/api/pipelines", json={"pipelines": pipelines},
                        headers=ana.headers)
    by_manager = client.put("/api/pipelines", json={"pipelines": pipelines},
                            headers=max_.headers)

    assert by_rep.status_code == 403
    assert "'rep'" in by_rep.get_json()["message"]
    assert by_manager.status_code == 200
    stored = client.get("/api/pipelines", headers=ana.headers).get_json()["pipelines"]
    assert stored[0]["stages"][4] == {"key": "proposal", "probability": 60,
                                      "rotting_days": 10}
    assert stored[1]["stages"][0] == {"key": "negotiation", "probability": 70,
                                      "rotting_days": 14}
    south = client.get("/api/pipelines", headers=book.members["sia"].headers)
    assert south.get_json()["pipelines"][0]["stages"][4]["probability"] == 50


def test_pipelines_invalid_values_named(client, book):
    max_ = book.members["max"]
    default = client.get("/api/pipelines", headers=max_.headers).get_json()["pipelines"]
    cases = [
        ([{**default[0], "stages": default[0]["stages"][:-1]}], "post_sales"),
        ([{**default[0], "stages": [{**default[0]["stages"][0], "probability": 150}]
           + default[0]["stages"][1:]}], "150"),
        ([{**default[0], "stages": [{**default[0]["stages"][0], "rotting_days": 0}]
           + default[0]["stages"][1:]}], "rotting_days 0"),
        ([default[0], {"key": "Bad Key", "stages": [{"key": "closing"}]}], "'Bad Key'"),
        ([default[0], {"key": "x", "stages": [{"key": "won"}]}], "'won'"),
        ([default[0], {"key": "x", "stages": [{"key": "closing"}, {"key": "proposal"}]}],
         "order"),
        ([default[0], default[0]], "repeated"),
        ("all", "'all'"),
    ]
    for pipelines, expected in cases:
        response = client.put("/api/pipelines", json={"pipelines": pipelines},
                              headers=max_.headers)

        assert response.status_code == 400, expected
        assert expected in response.get_json()["message"]


def test_kpis_use_app_clock(app, client, book):
    now = datetime(2025, 5, 20, tzinfo=timezone.utc)
    app.config["DEALBOOK_CLOCK_MS"] = lambda: int(now.timestamp() * 1000)

    body = client.get("/api/kpis", headers=book.members["ana"].headers).get_json()

    assert body["period"] == {"start": "2025-05-01", "end": "2025-06-01"}

"""`GET /api/team`: the user's team and its members."""

from flask import Blueprint, g, jsonify

from ..auth import login_required, user_json
from ..models import Team, User, db

bp = Blueprint("team", __name__, url_prefix="/api")


@bp.get("/me")
@login_required
def me():
    team = db.session.get(Team, g.user.team_id)
    return jsonify({"user": user_json(g.user, team)})


@bp.get("/team")
@login_required
def team():
    team = db.session.get(Team, g.user.team_id)
    members = db.session.scalars(
        db.select(User).where(User.team_id == team.id).order_by(User.name)
    )
    return jsonify(
        {
            "team": {"id": team.id, "name": team.name},
            "members": [
                {"id": u.id, "name": u.name, "email": u.email, "role": u.role}
                for u in members
            ],
        }
    )

"""Serve the PWA's files from the same origin as the API."""

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("web", __name__)

# The service worker and the manifest must not be cached by HTTP caches, or a
# phone keeps an old app version after a deploy.
NO_CACHE = {"sw.js", "manifest.webmanifest", "index.html"}


@bp.get("/")
def index():
    return send_pwa_file("index.html")


@bp.get("/<path:filename>")
def pwa_file(filename: str):
    if filename.startswith("api/"):
        abort(404)
    return send_pwa_file(filename)


def send_pwa_file(filename: str):
    folder = Path(current_app.config["PWA_DIR"])
    response = send_from_directory(folder, filename)
    if filename in NO_CACHE:
        response.headers["Cache-Control"] = "no-cache"
    if filename == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/"
    return response

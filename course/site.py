"""The pages that belong to no feature: `/` (where each role starts), `/help`, and the load balancer's
`/healthz` (the process answers) and `/readyz` (it can serve: course/readiness.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from . import readiness

bp = Blueprint("site", __name__)


def home_endpoint(user: Any) -> str:
    """Where each role starts."""
    if user.is_patient:
        return "learn.home"
    if user.is_therapist:
        return "clinic.caseload"
    return "admin.therapists"


@bp.get("/")
def index() -> Response:
    """Send a visitor to sign in, and a signed-in person to their role's start page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(home_endpoint(current_user)))


@bp.get("/help")
def help_now() -> str:
    """Crisis lines and where to get help: the same for everyone, signed in or not."""
    return render_template("help.html")


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """The process answers (nothing else is asked)."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Whether this server can serve: 503 without its database, 200 "degraded" without Redis."""
    body, status = readiness.report()
    return body, status, {"Cache-Control": "no-store"}

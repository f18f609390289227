"""Practice any day, outside the weekly steps: somatic tracking scripts with a practice log, and "try it"
experiments (predict, do, compare); a therapist reads their own patients' logs."""

from __future__ import annotations

from flask import Flask

from .. import extensions
from ..config import ConfigError

# Importing the views registers them on bp.
from . import routes  # noqa: F401
from .blueprint import bp
from .tools import ToolsError, install, load_tools


def init_app(app: Flask) -> None:
    """Load the program's practice tools (a problem stops start-up, as broken content does); add the views."""
    root = app.config["COURSE_CONTENT_DIR"]
    try:
        tools = load_tools(root, extensions.catalog(app), lambda m, s: f"/learn/{m}/{s}")
    except ToolsError as exc:
        problems = "\n".join(exc.problems)
        raise ConfigError(f"the practice tools in {root} have problems:\n{problems}") from None
    install(app, tools)
    app.register_blueprint(bp)

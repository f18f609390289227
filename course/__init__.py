"""The pain reprocessing course engine: `create_app` wires config, extensions, blueprints, errors and CLI."""

from __future__ import annotations

import contextlib
import logging
import os
import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from flask import Flask, request
from flask import Response as FlaskResponse
from flask.cli import ScriptInfo
from werkzeug.middleware.proxy_fix import ProxyFix

from . import assets, audit, db, extensions, keeping, logs, security, sessions
from .config import PROJECT_ROOT, ConfigError, MissingSecretKey, load_config
from .content.loader import ContentError, load_catalog
from .content.model import Catalog
from .extensions import csrf, limiter, login_manager
from .measures import (
    DEFAULT_SCHEDULE,
    Measure,
    MeasureError,
    Schedule,
    load_definitions,
    parse_schedule,
)


class CourseApp(Flask):
    """Flask, remembering which of its functions are plain (not `async def`), and linking static files by
    fingerprinted names (course/assets.py).

    Flask asks, for each hook and view of each request, whether it is a coroutine function, and `inspect`
    unwraps it to find out every time; the functions are the same few on every request. They are remembered
    weakly: Flask also passes each request's `after_this_request` closures through `ensure_sync`, and those
    must go with their request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()
        # The static files are part of the release: named once per process.
        self.static_names = assets.manifest(Path(self.static_folder or ""))
        self._static_originals = {new: name for name, new in self.static_names.items()}

    def url_for(self, /, endpoint: str, **values: Any) -> str:
        """As Flask's; a static file's URL carries a hash of its content ('app.css' -> 'app.<hash>.css')."""
        if endpoint == "static":
            name = values.get("filename")
            if isinstance(name, str) and name in self.static_names:
                values["filename"] = self.static_names[name]
        return super().url_for(endpoint, **values)

    def send_static_file(self, filename: str) -> FlaskResponse:
        """As Flask's; a fingerprinted name is served for a year, `immutable` (its name changes with it).

        A name with last release's hash is not found (404), rather than answered with content it never had.
        """
        original = self._static_originals.get(filename)
        if original is None:
            return super().send_static_file(filename)
        response = super().send_static_file(original)
        response.cache_control.no_cache = None  # Flask's default: ask again every time
        response.cache_control.public = True
        response.cache_control.max_age = assets.MAX_AGE_SECONDS
        response.cache_control.immutable = True
        return response

    def log_exception(self, exc_info: Any) -> None:
        """As Flask's, naming the route's pattern instead of the path, which may carry a one-time token."""
        rule = request.url_rule
        route = rule.rule if rule is not None else "an unknown route"
        self.logger.error("Exception on %s [%s]", route, request.method, exc_info=exc_info)

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """As Flask's, without asking again about a function found plain before."""
        try:
            if func in self._plain:
                return func
        except TypeError:  # unhashable: ask every time
            return super().ensure_sync(func)
        found = super().ensure_sync(func)
        if found is func:
            with contextlib.suppress(TypeError):  # no weak reference to it (a builtin): ask every time
                self._plain.add(func)
        return found


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application. It never migrates, seeds or creates tables."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("COURSE_INSTANCE_PATH")
    app = CourseApp(
        __name__,
        instance_relative_config=True,
        instance_path=str(Path(instance_path or PROJECT_ROOT / "instance").resolve()),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    load_config(app, test_config, secret_key_optional=_built_by_flask_command_line())
    if not app.config["SECRET_KEY"]:
        app.before_request(_refuse_without_secret_key)
    proxies = int(app.config["COURSE_TRUSTED_PROXIES"])
    if proxies:
        # The client's address and scheme as the trusted proxies saw them: sign-in limits count per client,
        # and a request that came over HTTPS is secure (Flask-WTF then checks the Referer's origin).
        # Entries a client wrote before the first trusted proxy are never used.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    logs.init_app(app)

    catalog = _load_content(app)
    measures, schedule = _load_measures(app, catalog)
    extensions.init_program(app, extensions.Program(catalog, measures, schedule))
    db.init_app(app)
    audit.install_append_only()
    login_manager.init_app(app)
    # The staff idle sign-out comes before the CSRF check, so a refused token never shows an idle session's
    # page again (keeping.py runs the view again for a refused token).
    security.init_app(app)
    csrf.init_app(app)
    keeping.init_app(app)
    limiter.init_app(app)
    sessions.init_app(app)

    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .assess import bp as assess_bp
    from .auth import bp as auth_bp
    from .clinic import bp as clinic_bp
    from .errors import register_error_handlers
    from .journal import bp as journal_bp
    from .learn import bp as learn_bp
    from .messages import bp as messages_bp
    from .notify import bp as notify_bp
    from .practice import init_app as init_practice
    from .site import bp as site_bp
    from .templating import register_templating
    from .tracking import bp as tracking_bp

    app.register_blueprint(site_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(learn_bp)
    app.register_blueprint(clinic_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(journal_bp)
    app.register_blueprint(tracking_bp)
    app.register_blueprint(assess_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(messages_bp)
    init_practice(app)
    register_error_handlers(app)
    register_templating(app)

    from .cli import register_cli

    register_cli(app)

    return app


def _built_by_flask_command_line() -> bool:
    """Whether `flask --app course <command>` builds this app (Flask's command line holds a ScriptInfo),
    for a command other than `flask run`.

    Validating content or migrating needs no secret key; the commands that sign something say so in one line
    (config.require_secret_key). A server (`flask run`, or gunicorn calling create_app) still refuses to
    start.
    """
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name != "run" and context.find_object(ScriptInfo) is not None


def _refuse_without_secret_key() -> tuple[str, int, dict[str, str]]:
    """No page is served without a secret key (`flask shell` could still try, with a test client)."""
    message = MissingSecretKey().code
    logging.getLogger("course").error("%s", message)
    return f"{message}\n", 503, {"Content-Type": "text/plain; charset=utf-8"}


def _load_measures(app: Flask, catalog: Catalog) -> tuple[dict[str, Measure], Schedule]:
    """The questionnaires (shipped, plus a clinic's licensed ones) and the schedule from course.yaml."""
    extra = [app.config["COURSE_MEASURES_DIR"]] if app.config.get("COURSE_MEASURES_DIR") else []
    try:
        measures = load_definitions(*extra)
    except MeasureError as exc:
        raise ConfigError(
            "the questionnaire definitions have problems:\n" + "\n".join(exc.problems)
        ) from None
    raw = catalog.schedule_raw
    if raw is None:
        return measures, DEFAULT_SCHEDULE
    try:
        return measures, parse_schedule(raw, known_measures=measures)
    except ValueError as exc:
        raise ConfigError(f"the measures schedule in course.yaml has problems:\n{exc}") from None


def _load_content(app: Flask) -> Catalog:
    try:
        catalog = load_catalog(app.config["COURSE_CONTENT_DIR"], step_url=lambda m, s: f"/learn/{m}/{s}")
    except ContentError as exc:
        lines = "\n".join(str(p) for p in exc.problems)
        raise ConfigError(
            f"the program in {app.config['COURSE_CONTENT_DIR']} has problems:\n{lines}"
        ) from None
    # The clinic's setting: how long a feedback moment waits for the therapist's reply (course/pacing.py).
    return replace(catalog, feedback_days=int(app.config["COURSE_FEEDBACK_DAYS"]))

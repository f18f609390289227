"""The pain reprocessing course engine: `create_app` wires config, extensions, blueprints, errors and CLI."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template, request, url_for
from flask import Response as FlaskResponse
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from . import assets, audit, db, keeping, logs, readiness, security, sessions
from .config import PROJECT_ROOT, ConfigError, load_config
from .content import ContentError, load_catalog
from .extensions import EXEMPT_FROM_LIMITS, csrf, limiter, login_manager


class CourseApp(Flask):
    """Flask, remembering which of its functions are plain (not `async def`), and linking static files by
    fingerprinted names (course/assets.py).

    Flask asks, for each hook and view of each request (18 on a patient page), whether it is a coroutine
    function, and `inspect` unwraps it to find out every time (2% of a page). The functions are the same few
    on every request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: set[Any] = set()
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
    load_config(app, test_config)
    proxies = int(app.config["COURSE_TRUSTED_PROXIES"])
    if proxies:
        # The client's address and scheme as the trusted proxies saw them: sign-in limits count per client,
        # and a request that came over HTTPS is secure (Flask-WTF then checks the Referer's origin).
        # Entries a client wrote before the first trusted proxy are never used.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    logs.init_app(app)

    app.extensions["course.catalog"] = _load_content(app)
    app.extensions["course.measures"], app.extensions["course.schedule"] = _load_measures(app)
    db.init_app(app)
    audit.install_append_only()
    login_manager.init_app(app)
    # The staff idle sign-out comes before the CSRF check, so a refused token never shows an idle session's
    # page again (keeping.py runs the view again for a refused token).
    security.init_app(app)
    csrf.init_app(app)
    keeping.init_app(app)
    _limiter_for_writes_only(app)
    sessions.init_app(app)

    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .assess import bp as assess_bp
    from .auth import bp as auth_bp
    from .clinic import bp as clinic_bp
    from .errors import register_error_handlers
    from .journal import bp as journal_bp
    from .learn import bp as learn_bp
    from .notify import bp as notify_bp
    from .practice import init_app as init_practice
    from .templating import register_templating
    from .tracking import bp as tracking_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(learn_bp)
    app.register_blueprint(clinic_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(journal_bp)
    app.register_blueprint(tracking_bp)
    app.register_blueprint(assess_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(notify_bp)
    init_practice(app)
    register_error_handlers(app)
    register_templating(app)

    from .cli import register_cli

    register_cli(app)

    @app.get("/")
    def index() -> Response:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return redirect(url_for(home_endpoint(current_user)))

    @app.get("/help")
    def help_now() -> str:
        return render_template("help.html")

    @app.get("/healthz")
    def healthz() -> tuple[str, int, dict[str, str]]:
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}

    readiness.init_app(app)

    return app


_HOOKS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")


def _limiter_for_writes_only(app: Flask) -> None:
    """Bind the rate limiter, with the request hooks it adds skipped for reads.

    Every limit guards a POST (a test checks it), and `extensions.limiter` exempts reads already; but its
    hooks still ran on every page to find that out (its per-request context, the endpoint's limits, the
    request filter, the response's headers: 4% of a patient page). The hooks it adds are told apart by
    comparing the app's hooks before and after binding it, so no private name of the limiter is used.
    """
    before = {kind: list(getattr(app, kind).get(None, ())) for kind in _HOOKS}
    limiter.init_app(app)
    for kind in _HOOKS:
        hooks = getattr(app, kind).get(None, [])
        added = [hook for hook in hooks if hook not in before[kind]]
        if len(added) != 1:
            raise RuntimeError(f"expected the rate limiter to add one hook to {kind}, found {len(added)}")
        hooks[hooks.index(added[0])] = _for_writes_only(
            added[0], passes_response=kind == "after_request_funcs"
        )


def _for_writes_only(hook: Any, *, passes_response: bool) -> Any:
    def for_writes_only(*args: Any) -> Any:
        if request.method in EXEMPT_FROM_LIMITS:
            return args[0] if passes_response else None
        return hook(*args)

    return for_writes_only


def home_endpoint(user: Any) -> str:
    """Where each role starts."""
    if user.is_patient:
        return "learn.home"
    if user.is_therapist:
        return "clinic.caseload"
    return "admin.therapists"


def _load_measures(app: Flask) -> tuple[Any, Any]:
    """The questionnaires (shipped, plus a clinic's licensed ones) and the schedule from course.yaml."""
    from .measures import DEFAULT_SCHEDULE, MeasureError, load_definitions, parse_schedule

    extra = [app.config["COURSE_MEASURES_DIR"]] if app.config.get("COURSE_MEASURES_DIR") else []
    try:
        measures = load_definitions(*extra)
    except MeasureError as exc:
        raise ConfigError(
            "the questionnaire definitions have problems:\n" + "\n".join(exc.problems)
        ) from None
    raw = app.extensions["course.catalog"].schedule_raw
    if raw is None:
        return measures, DEFAULT_SCHEDULE
    try:
        return measures, parse_schedule(raw, known_measures=measures)
    except ValueError as exc:
        raise ConfigError(f"the measures schedule in course.yaml has problems:\n{exc}") from None


def _load_content(app: Flask) -> Any:
    try:
        return load_catalog(app.config["COURSE_CONTENT_DIR"], step_url=lambda m, s: f"/learn/{m}/{s}")
    except ContentError as exc:
        lines = "\n".join(str(p) for p in exc.problems)
        raise ConfigError(
            f"the program in {app.config['COURSE_CONTENT_DIR']} has problems:\n{lines}"
        ) from None

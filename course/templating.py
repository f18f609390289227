"""Jinja filters and globals: dates in the viewer's time zone, crisis help on every page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from flask import Flask, current_app, flash, g, has_request_context, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from . import clock, extensions, fields
from ._zones import zone_words
from .keeping import REFRESHED
from .safety import TIERS, flags_in


def user_zone(user: Any = None) -> ZoneInfo:
    """The time zone of a user (or of the signed-in user), falling back to the clinic default."""
    if user is None and has_request_context():
        # The viewer's zone, looked up once per request: a caseload page writes fifty dates.
        found: ZoneInfo | None = g.get("_viewer_zone")
        if found is None:
            found = g._viewer_zone = _zone_of(current_user)
        return found
    return _zone_of(user if user is not None else current_user)


def _zone_of(user: Any) -> ZoneInfo:
    name = getattr(user, "timezone", None) or current_app.config["COURSE_DEFAULT_TIMEZONE"]
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def long_date(value: date | datetime | None, user: Any = None) -> str:
    """'Monday 7 December' (with the year when it is not this year's), in the viewer's zone."""
    if value is None:
        return ""
    return _day_text(value, user_zone(user))


def local_datetime(value: datetime | None, user: Any = None) -> str:
    """'Monday 7 December, 14:05' in the viewer's zone."""
    if value is None:
        return ""
    zone = user_zone(user)
    local = value.astimezone(zone)
    return f"{_day_text(local.date(), zone)}, {local:%H:%M}"


def viewer_day_text() -> Callable[[datetime], str]:
    """`long_date` for many times in one page: the viewer's zone and this year worked out once."""
    zone = user_zone()
    this_year = clock.now().astimezone(zone).year
    return lambda value: _date_text(value.astimezone(zone).date(), this_year)


def _day_text(value: date | datetime, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    return _date_text(value, clock.now().astimezone(zone).year)


@lru_cache(maxsize=4096)
def _date_text(day: date, this_year: int) -> str:
    text = f"{day:%A} {day.day} {day:%B}"
    if day.year != this_year:
        text += f" {day.year}"
    return text


def register_templating(app: Flask) -> None:
    """Install the filters and the values every template may use."""
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["zone_words"] = zone_words
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.globals["url_for"] = remembered_url_for(app)
    app.jinja_env.globals["field"] = fields.field
    app.jinja_env.globals["submit"] = fields.submit
    app.jinja_env.globals["error_summary"] = fields.error_summary
    app.jinja_env.globals["hidden_fields"] = fields.hidden_fields
    app.jinja_env.globals["main_nav"] = main_nav_for(app)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    app.jinja_env.globals["crisis_numbers"] = crisis_numbers
    app.jinja_env.globals["refreshed_message"] = REFRESHED
    app.jinja_env.globals["red_flag_tiers"] = TIERS
    app.jinja_env.globals["flags_in"] = flags_in

    @app.context_processor
    def globals_for_templates() -> dict[str, Any]:
        return {
            "clinic_name": app.config["COURSE_CLINIC_NAME"],
            "program_title": extensions.catalog(app).title,
        }


@dataclass(frozen=True)
class CrisisNumbers:
    """The clinic's emergency number and crisis line, as configured."""

    emergency_number: str
    crisis_line: str


CrisisReason = Literal["words", "answers"]


def show_crisis_help(reason: CrisisReason = "words") -> None:
    """Put the crisis panel (templates/_crisis_help.html) first on the next page the patient sees.

    `reason` says what called for it: words the patient wrote, or a questionnaire's answers.
    """
    flash(reason, "crisis")


def crisis_numbers() -> CrisisNumbers:
    """The numbers templates/_crisis_help.html shows, read from the app's config when it renders.

    A Jinja global rather than a context variable: a macro imported without the template's context (as the
    crisis panel once was, showing "call ." at the worst moment) still has them.
    """
    config = current_app.config
    return CrisisNumbers(str(config["COURSE_EMERGENCY_NUMBER"]), str(config["COURSE_CRISIS_LINE"]))


def remembered_url_for(app: Flask) -> Callable[..., str]:
    """`url_for` for templates, remembering each built URL in this process.

    A page links to the same few URLs on every request (the header alone has a dozen), and building one costs
    more than looking it up. The result depends only on the endpoint, its values and where the app is mounted
    (the script root), so those are the key. Not remembered: relative endpoints ('.x', which depend on the
    current blueprint), special arguments (_external, _anchor...), unhashable values, anything outside a
    request (an email rendered by a command), and everything once an app or blueprint registers url_defaults
    (which may read the request).
    """

    @lru_cache(maxsize=4096)
    def build(script_root: str, endpoint: str, values: tuple[tuple[str, type, Any], ...]) -> str:
        return url_for(endpoint, **{key: value for key, _type, value in values})

    def url_for_template(endpoint: str, **values: Any) -> str:
        if (
            endpoint[:1] == "."
            or not has_request_context()
            or any(key[:1] == "_" for key in values)
            or (app.url_default_functions and any(app.url_default_functions.values()))
        ):
            return url_for(endpoint, **values)
        try:
            # The type is part of the key: True == 1 as a key, but they are different links.
            key = tuple((name, type(value), value) for name, value in sorted(values.items()))
            return build(request.script_root, endpoint, key)
        except TypeError:  # an unhashable value
            return url_for(endpoint, **values)

    return url_for_template


# Stand for the CSRF token and the unread count while a role's navigation is rendered once; letters only, so
# escaping keeps them.
_PLACEHOLDER = "NAVPLACEHOLDER"
_UNREAD = "NAVUNREADCOUNT"


def unread_badge(count: int) -> str:
    """The unread messages count beside "Messages" in the header (nothing when there are none)."""
    if count <= 0:
        return ""
    return f' <span class="count">{int(count)}<span class="visually-hidden"> unread</span></span>'


def main_nav_for(app: Flask) -> Callable[[Any], Markup]:
    """The header navigation of the signed-in user's role, rendered once per role and script root; each page
    fills in its sign-out form's CSRF token and the person's own unread count (read from their account's
    row, which the page loaded anyway). Its dozen links and role checks are the same on every page of a role
    (docs/PERFORMANCE.md: remembered HTML)."""
    rendered: dict[tuple[str, str, bool], tuple[tuple[str, ...], ...]] = {}

    def main_nav(user: Any) -> Markup:
        csrf = bool(app.config.get("WTF_CSRF_ENABLED", True))
        key = (str(user.role), request.script_root, csrf)
        pieces = rendered.get(key)
        if pieces is None:
            html = render_template("_nav.html", nav_role=key[0], token=_PLACEHOLDER, unread=_UNREAD).strip()
            pieces = rendered[key] = tuple(tuple(part.split(_PLACEHOLDER)) for part in html.split(_UNREAD))
        # The template was autoescaped when rendered; the token is escaped here, the count is a number.
        token = str(escape(generate_csrf())) if csrf else ""
        badge = unread_badge(getattr(user, "unread_messages", 0) or 0)
        return Markup(badge.join(token.join(parts) for parts in pieces))  # noqa: S704  # nosec B704

    return main_nav

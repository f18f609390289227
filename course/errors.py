"""Friendly error pages; no stack trace reaches a browser outside debug mode."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: (
        "Something was not quite right",
        "The request could not be understood. Please go back and try again.",
    ),
    403: ("This page is not available to you", "Your account does not have access to this page."),
    404: ("Page not found", "We could not find that page. It may have moved, or the link may be mistyped."),
    405: (
        "That did not work",
        "This page cannot be used that way. Please go back and use the buttons on the page.",
    ),
    413: (
        "That was too long to send",
        "What you sent was larger than we can accept. Please shorten it and try again.",
    ),
    429: ("Please wait a moment", "There were too many attempts. Please wait a minute, then try again."),
    500: (
        "Something went wrong on our side",
        "We are sorry. Nothing you did caused this. Please try again shortly.",
    ),
}


def register_error_handlers(app: Flask) -> None:
    """Render every HTTP error with the same calm page."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        title, message = MESSAGES.get(code, (error.name, error.description or ""))
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        propagate = app.config.get("PROPAGATE_EXCEPTIONS")
        if app.debug or propagate or (app.testing and propagate is None):
            raise error
        app.logger.exception("unhandled error")
        title, message = MESSAGES[500]
        return render_template("errors/error.html", code=500, title=title, message=message), 500

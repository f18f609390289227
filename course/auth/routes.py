"""Views for accounts: sign in and out, reset a password, join through an invite."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from .. import clock
from ..accounts import AccountError, authenticate, find_user_by_email, make_reset_token, set_password
from ..accounts import user_for_reset_token as _user_for_reset_token
from ..db import get_db
from ..enrollment import accept_invite, look_up_invite
from ..extensions import limiter
from ..forms import EmptyForm
from ..keeping import KEPT_SESSION_KEY, claim_kept
from ..mail import send_mail
from . import bp
from .forms import JoinForm, LoginForm, ResetPasswordForm, ResetRequestForm


def safe_next(target: str | None) -> str | None:
    """A `next` URL only when it stays on this host."""
    if not target:
        return None
    joined = urlsplit(urljoin(request.host_url, target))
    if joined.scheme in ("http", "https") and joined.netloc == urlsplit(request.host_url).netloc:
        path = joined.path or "/"
        if path.startswith("//"):
            return None
        return path + (f"?{joined.query}" if joined.query else "")
    return None


def _typed_email() -> str:
    # The limiter's key runs before the form exists; the typed email is only a bucket name, never trusted.
    return "login:" + str(request.form.get("email", "")).strip().lower()[:254]


def _failed(response: Response) -> bool:
    return response.status_code == 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["COURSE_LOGIN_LIMIT_ACCOUNT"],
    key_func=_typed_email,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["COURSE_LOGIN_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_failed
)
def login() -> Response | tuple[str, int]:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(get_db(), form.email.data, form.password.data)
        if user is not None:
            kept = session.pop(KEPT_SESSION_KEY, None)
            session.clear()  # nothing from before sign-in carries over into the signed-in session
            login_user(user, remember=bool(form.remember.data))
            page = claim_kept(get_db(), kept, user.id, clock.now())
            if page is not None:
                flash("Welcome back. What you were writing is below: check it, then save it.", "info")
                return redirect(safe_next(page) or url_for("index"))
            return redirect(safe_next(request.args.get("next")) or url_for("index"))
        form.password.errors = ["That email and password do not match an active account. Please try again."]
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with a CSRF token, so a link elsewhere cannot sign anyone out)."""
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request() -> Response | tuple[str, int]:
    """Ask for a password-reset link; the answer is the same whether or not the email exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_user_by_email(get_db(), form.email.data)
        if user is not None and user.active:
            hours = int(current_app.config["COURSE_RESET_HOURS"])
            token = make_reset_token(user, current_app.config["SECRET_KEY"], now=clock.now(), hours=hours)
            link = urljoin(current_app.config["COURSE_BASE_URL"], url_for("auth.reset_password", token=token))
            send_mail(
                user.email,
                "Reset your password",
                f"Hello {user.display_name},\n\n"
                f"To choose a new password, open this link within {hours} hours:\n\n{link}\n\n"
                "The link works once. If you did not ask for it, you can ignore this email.\n",
            )
        flash("If that email belongs to an account, a link to reset the password is on its way.", "info")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    """Choose a new password from an emailed link (expiring, single use)."""
    db = get_db()
    user = _user_for_reset_token(db, token, current_app.config["SECRET_KEY"], now=clock.now())
    if user is None:
        return render_template("auth/link_invalid.html", kind="reset"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.password.data)
        logout_user()
        flash("Your password is changed. Please sign in with it.", "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_password.html", form=form), status


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> Response | tuple[str, int]:
    """A patient creates their account from their therapist's invite."""
    db = get_db()
    now = clock.now()
    found = look_up_invite(db, token, now)
    if found.status != "ok" or found.invite is None:
        return render_template("auth/link_invalid.html", kind="invite", status=found.status), 410
    invite = found.invite
    if current_user.is_authenticated:
        if request.method != "POST":
            # Opening a link never signs anyone out: the page asks first (a POST, see join_sign_out).
            return render_template("auth/join_signed_in.html", token=token, form=EmptyForm()), 200
        logout_user()  # the join form itself was sent: the account it creates is the one to be signed in
    form = JoinForm(
        data=None
        if request.method == "POST"
        else {
            "display_name": invite.patient_name or "",
            "email": invite.email or "",
            "timezone": current_app.config["COURSE_DEFAULT_TIMEZONE"],
        }
    )
    status = 200
    if form.validate_on_submit():
        try:
            patient = accept_invite(
                db,
                token,
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                timezone=form.timezone.data,
                now=now,
            )
        except AccountError as exc:
            field = getattr(form, exc.field or "", None)
            if field is not None:
                field.errors = [*field.errors, str(exc)]
            else:
                flash(str(exc), "error")
            status = 422
        else:
            login_user(patient)
            flash("Welcome. Your program has started.", "success")
            return redirect(url_for("learn.home"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/join.html", form=form, therapist=invite.therapist, invite=invite), status


@bp.post("/join/<token>/sign-out")
def join_sign_out(token: str) -> Response | tuple[str, int]:
    """Sign out whoever is signed in, then continue to the invitation (the question the join page asks)."""
    found = look_up_invite(get_db(), token, clock.now())
    if found.status != "ok":
        return render_template("auth/link_invalid.html", kind="invite", status=found.status), 410
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        logout_user()
    return redirect(url_for("auth.join", token=token))

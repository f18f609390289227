"""Journal views. What keeps the text when a token or session expires is course/keeping.py, as for every
form."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from .. import clock, extensions
from ..access import current_enrollment, role_required
from ..content.model import Catalog
from ..db import get_db
from ..forms import EmptyForm, choices
from ..models import JournalEntry, Role
from ..templating import show_crisis_help
from .blueprint import bp
from .forms import EntryForm, FilterForm
from .services import (
    MAX_LENGTH,
    Conflict,
    JournalError,
    create_entry,
    export_json,
    export_markdown,
    list_entries,
    own_entry,
    recoverable_until,
    restore,
    set_shared,
    soft_delete,
    update_entry,
)


def _entry_or_404(entry_id: int, *, deleted: bool = False) -> JournalEntry:
    entry = own_entry(get_db(), current_user, entry_id, deleted=deleted)
    if entry is None:
        abort(404)
    return entry


def _after_save(entry: JournalEntry, crisis: bool) -> BaseResponse:
    if crisis:
        show_crisis_help("words")
    flash("Your entry is saved.", "success")
    return redirect(url_for(".entry", entry_id=entry.id, _anchor="main" if crisis else None))


def _render_form(
    form: EntryForm, status: int, entry: JournalEntry | None = None, conflict: JournalEntry | None = None
) -> tuple[str, int]:
    return render_template(
        "journal/edit.html", form=form, entry=entry, conflict=conflict, max_length=MAX_LENGTH
    ), status


@bp.get("/")
@role_required(Role.PATIENT)
def index() -> str:
    """The patient's entries, newest first, with a module filter and text search."""
    catalog: Catalog = extensions.catalog()
    form = FilterForm(request.args)
    form.module.choices = choices(
        [("", "All entries"), ("free", "Written freely")]
        + [(m.slug, f"Week {m.week}: {m.title}") for m in catalog.modules]
    )
    # Opening the journal is not a search: only check the filters when some were sent.
    module = (form.module.data if form.validate() else None) if request.args else None
    entries = list_entries(
        get_db(), current_user, module=module or None, query=(form.q.data or "").strip() or None
    )
    return render_template(
        "journal/index.html", entries=entries, form=form, catalog=catalog, action_form=EmptyForm()
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def new() -> BaseResponse | tuple[str, int]:
    """Write a free entry. A double submit saves once (the form's one-time key)."""
    current_enrollment()
    form = EntryForm()
    if form.validate_on_submit():
        try:
            saved = create_entry(
                get_db(),
                current_user,
                form.text.data or "",
                now=clock.now(),
                idempotency_key=form.submission_key.data or None,
            )
        except JournalError as exc:
            form.text.errors = [str(exc)]
            return _render_form(form, 422)
        return _after_save(saved.entry, saved.crisis)
    return _render_form(form, 422 if form.is_submitted() else 200)


@bp.get("/<int:entry_id>")
@role_required(Role.PATIENT)
def entry(entry_id: int) -> str:
    """One entry with its prompt, comments from the therapist and sharing controls."""
    item = _entry_or_404(entry_id)
    return render_template("journal/entry.html", entry=item, action_form=EmptyForm())


@bp.route("/<int:entry_id>/edit", methods=["GET", "POST"])
@role_required(Role.PATIENT)
def edit(entry_id: int) -> BaseResponse | tuple[str, int]:
    """Edit an entry; a save based on an older version shows both texts instead of overwriting."""
    item = _entry_or_404(entry_id)
    form = EntryForm(
        data={"text": item.text, "revision": str(item.revision)} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        base = int(form.revision.data) if (form.revision.data or "").isdigit() else 0
        try:
            saved = update_entry(
                get_db(), current_user, item, form.text.data or "", base_revision=base, now=clock.now()
            )
        except Conflict as conflict:
            form.revision.data = str(conflict.entry.revision)
            return _render_form(form, 409, item, conflict=conflict.entry)
        except JournalError as exc:
            form.text.errors = [str(exc)]
            return _render_form(form, 422, item)
        return _after_save(saved.entry, saved.crisis)
    return _render_form(form, 422 if form.is_submitted() else 200, item)


@bp.get("/<int:entry_id>/revisions")
@role_required(Role.PATIENT)
def revisions(entry_id: int) -> str:
    """Every saved version of an entry, newest first."""
    item = _entry_or_404(entry_id)
    return render_template("journal/revisions.html", entry=item)


@bp.post("/<int:entry_id>/<any(share, unshare, delete):action>")
@role_required(Role.PATIENT)
def act(entry_id: int, action: str) -> BaseResponse:
    """Share, unshare or delete (recoverable for 30 days)."""
    item = _entry_or_404(entry_id)
    if EmptyForm().validate_on_submit():
        now = clock.now()
        if action == "delete":
            soft_delete(item, now)
            flash("The entry is in “Recently deleted” for 30 days, in case you want it back.", "info")
            return redirect(url_for(".index"))
        set_shared(item, action == "share", now)
        flash(
            "Shared with your therapist."
            if action == "share"
            else "Your therapist can no longer see this entry.",
            "success",
        )
    return redirect(url_for(".entry", entry_id=entry_id))


@bp.get("/deleted")
@role_required(Role.PATIENT)
def deleted() -> str:
    """Entries deleted in the last 30 days, which can be restored."""
    entries = list_entries(get_db(), current_user, deleted=True)
    return render_template(
        "journal/deleted.html", entries=entries, until=recoverable_until, action_form=EmptyForm()
    )


@bp.post("/<int:entry_id>/restore")
@role_required(Role.PATIENT)
def restore_entry(entry_id: int) -> BaseResponse:
    """Bring back a deleted entry."""
    item = _entry_or_404(entry_id, deleted=True)
    if EmptyForm().validate_on_submit():
        restore(item)
        flash("The entry is back in your journal.", "success")
    return redirect(url_for(".entry", entry_id=entry_id))


@bp.get("/export.<any(json, md):fmt>")
@role_required(Role.PATIENT)
def export(fmt: str) -> Response:
    """Download every entry with its prompt, dates and comments."""
    entries = list_entries(get_db(), current_user)
    if fmt == "json":
        body, mimetype = export_json(entries), "application/json"
    else:
        body, mimetype = export_markdown(entries, current_user), "text/markdown"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="journal.{fmt}"'
    return response


@bp.get("/print")
@role_required(Role.PATIENT)
def print_view() -> str:
    """All entries on one plain page, for printing."""
    return render_template("journal/print.html", entries=list_entries(get_db(), current_user))

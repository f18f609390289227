"""Reading the fields and options the content describes (an exercise's fields, a list field's rows, a
question's options), for any kind of step built from them.

Pure: no Flask. Every problem goes through the file's Reader, with its line.
"""

from __future__ import annotations

from ..safety.red_flags import PEM_ANSWERS
from ..yamlsource import LineDict
from .model import Field, Option
from .reading import Reader

FIELD_KINDS = ("text", "longtext", "scale", "choice", "multichoice", "list")
ITEM_KINDS = ("text", "longtext", "scale", "choice")
FIELD_KEYS = {
    "id": True,
    "kind": True,
    "label": True,
    "help": False,
    "required": False,
    "max_length": False,
    "min": False,
    "max": False,
    "min_label": False,
    "max_label": False,
    "options": False,
    "min_items": False,
    "max_items": False,
    "item_fields": False,
    "pem_question": False,
}
OPTION_KEYS = {"value": True, "label": True}
# The keys that apply to each kind of field (the others are refused).
_KIND_KEYS = {
    "text": {"max_length"},
    "longtext": {"max_length"},
    "scale": {"min", "max", "min_label", "max_label"},
    "choice": {"options"},
    "multichoice": {"options"},
    "list": {"min_items", "max_items", "item_fields"},
}
_SOME_KINDS_KEYS = set().union(*_KIND_KEYS.values())


def read_options(reader: Reader, data: LineDict, what: str) -> tuple[Option, ...]:
    """`options`: at least two, each text or a value and a label, no value twice."""
    raw = data.get("options")
    if not isinstance(raw, list) or len(raw) < 2:
        reader.error(data.line_of("options"), f"'options' of {what} must be a list of at least 2 choices")
        return ()
    options: list[Option] = []
    for item in raw:
        if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
            options.append(Option(str(item).strip(), str(item).strip()))
        elif isinstance(item, LineDict) and reader.mapping(
            item, item.line, f"an option of {what}", OPTION_KEYS
        ):
            value = reader.text(item, "value", f"an option of {what}") or ""
            label = reader.text(item, "label", f"an option of {what}") or ""
            options.append(Option(value, label))
        else:
            reader.error(data.line_of("options"), f"each option of {what} must be text or value and label")
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        reader.error(data.line_of("options"), f"options of {what} repeat a value")
    return tuple(options)


def read_fields(
    reader: Reader, data: LineDict, key: str, what: str, kinds: tuple[str, ...] = FIELD_KINDS
) -> tuple[Field, ...]:
    """A list of fields under `key`, each of one of these kinds, ids unique."""
    raw = data.get(key)
    if not isinstance(raw, list):
        reader.error(data.line_of(key), f"'{key}' of {what} must be a list of fields")
        return ()
    result: list[Field] = []
    ids: set[str] = set()
    for item in raw:
        if not isinstance(item, LineDict):
            reader.error(data.line_of(key), f"each field of {what} must be a mapping")
            continue
        field_what = f"field '{item.get('id', '?')}' of {what}"
        if reader.mapping(item, item.line, field_what, FIELD_KEYS) is None:
            continue
        field_id = reader.slug(item, "id", field_what)
        kind = item.get("kind")
        if kind not in kinds:
            reader.error(
                item.line_of("kind"), f"unknown kind {kind!r} for {field_what} (known: {', '.join(kinds)})"
            )
            continue
        if field_id in ids:
            reader.error(item.line_of("id"), f"duplicate field id '{field_id}' in {what}")
            continue
        ids.add(field_id)
        result.append(_read_field(reader, item, field_id, kind, field_what))
    return tuple(result)


def _read_field(reader: Reader, item: LineDict, field_id: str, kind: str, what: str) -> Field:
    required = reader.boolean(item, "required", what)
    for key in sorted(_SOME_KINDS_KEYS - _KIND_KEYS[kind], key=list(FIELD_KEYS).index):
        if key in item:
            reader.error(item.line_of(key), f"'{key}' does not apply to a {kind} field ({what})")
    options: tuple[Option, ...] = ()
    if kind in ("choice", "multichoice"):
        options = read_options(reader, item, what)
    default_length = 5000 if kind == "longtext" else 200
    low = reader.integer(item, "min", what, 0, 0, 100)
    high = reader.integer(item, "max", what, 10, 1, 100)
    if low >= high:
        reader.error(item.line_of("max"), f"'max' must be above 'min' in {what}")
    pem_question = reader.boolean(item, "pem_question", what)
    if pem_question and (kind != "choice" or not PEM_ANSWERS & {o.value for o in options}):
        reader.error(
            item.line_of("pem_question"),
            f"{what} asks about post-exertional malaise, so it must be a choice with an option "
            f"valued {' or '.join(sorted(PEM_ANSWERS))}",
        )
        pem_question = False
    item_fields: tuple[Field, ...] = ()
    if kind == "list":
        if "item_fields" not in item:
            reader.error(item.line, f"{what} is a list and needs 'item_fields'")
        else:
            item_fields = read_fields(reader, item, "item_fields", what, ITEM_KINDS)
    min_items = reader.integer(item, "min_items", what, 1 if required else 0, 0, 50)
    max_items = reader.integer(item, "max_items", what, 10, 1, 50)
    if kind == "list" and min_items > max_items:
        reader.error(item.line_of("min_items"), f"'min_items' is above 'max_items' in {what}")
    return Field(
        id=field_id,
        kind=kind,  # type: ignore[arg-type]
        label=reader.text(item, "label", what) or "",
        help=reader.text(item, "help", what),
        required=required,
        max_length=reader.integer(item, "max_length", what, default_length, 1, 50000),
        min=low,
        max=high,
        min_label=reader.text(item, "min_label", what),
        max_label=reader.text(item, "max_label", what),
        options=options,
        min_items=min_items,
        max_items=max_items,
        item_fields=item_fields,
        pem_question=pem_question,
    )

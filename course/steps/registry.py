"""The kinds of step, by the `type:` the content writes: the one list the loader, the step player, the
therapist's reading and the tests enumerate.

A kind is a module of course/steps/kinds/ defining one `Step` subclass, and its page,
templates/steps/<type>.html: adding a kind is those two files and its tests (docs/CONTENT.md, "Adding a kind
of step"). Each module of the folder is imported here once, when the registry is first imported.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from ..content.model import Step
from . import kinds as _package


def _find() -> dict[str, type[Step]]:
    found: dict[str, type[Step]] = {}
    for info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{_package.__name__}.{info.name}")
        defined = [
            value
            for value in vars(module).values()
            if inspect.isclass(value) and issubclass(value, Step) and value.__module__ == module.__name__
        ]
        if len(defined) != 1:
            raise TypeError(
                f"{module.__name__} must define one kind of step (a Step subclass), not {len(defined)}"
            )
        kind = defined[0]
        if kind.type in found:
            raise TypeError(
                f"step type '{kind.type}' is defined by {found[kind.type].__module__} and {module.__name__}"
            )
        found[kind.type] = kind
    return found


# By type, in alphabetical order (the order of the modules in the folder).
KINDS: dict[str, type[Step]] = _find()

"""Fingerprinted names for static files: `app.css` is linked as `app.<hash of its content>.css`.

A release that changes a file changes its name, so the file can be cached for a year (`immutable`) and a
browser never keeps last release's CSS or JS. `url_for('static', filename='app.css')` gives the fingerprinted
URL (`CourseApp.url_for`); the app serves it (`CourseApp.send_static_file`) and so can Caddy, from the folder
`flask --app course static-files` fills (deploy/Caddyfile). Pure: no Flask.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

DIGEST_LENGTH = 12
# A year: the longest lifetime caches honour; the name changes whenever the content does.
MAX_AGE_SECONDS = 365 * 24 * 3600
_FINGERPRINTED = re.compile(rf"(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LENGTH}}})(?P<suffix>\.[^./]+)")


def fingerprinted(name: str, content: bytes) -> str:
    """`name` with a hash of `content` before its extension: 'css/app.css' -> 'css/app.1a2b3c4d5e6f.css'."""
    digest = hashlib.sha256(content).hexdigest()[:DIGEST_LENGTH]
    folder, slash, base = name.rpartition("/")
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem:  # no extension (or a dot file): the hash goes last
        return f"{name}.{digest}"
    return f"{folder}{slash}{stem}.{digest}.{suffix}"


def manifest(folder: Path) -> dict[str, str]:
    """Every file under `folder`, by its name relative to it (with '/'), mapped to its fingerprinted name."""
    if not folder.is_dir():
        return {}
    names = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            names[name] = fingerprinted(name, path.read_bytes())
    return names


def looks_fingerprinted(name: str) -> bool:
    """Whether a requested name has the shape of a fingerprinted one (it may still be unknown or stale)."""
    return _FINGERPRINTED.fullmatch(name) is not None


def publish(source: Path, target: Path) -> list[str]:
    """Copy each file of `source` into `target` under its fingerprinted name; return the names written.

    Files already there are kept: pages rendered by the previous release (or by a server not upgraded yet)
    still find the names they link to.
    """
    written = []
    for name, new_name in manifest(source).items():
        destination = target / new_name
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        temporary = destination.with_name(destination.name + ".part")
        shutil.copyfile(source / name, temporary)
        temporary.replace(destination)  # readers never see half a file
        written.append(new_name)
    return written

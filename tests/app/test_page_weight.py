"""Patient pages stay light for a weak phone on a slow line: at most 60 KB of HTML, CSS and JS together, and
nothing fetched from another host."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin, urlparse

from course.clock import FrozenClock
from course.models import User

LIMIT = 60 * 1024
ASSET = re.compile(r'<(?:link|script|img|iframe|source)\b[^>]*?(?:href|src)="([^"]+)"', re.IGNORECASE)
LINK = re.compile(r'<a\b[^>]*?href="([^"#?]+)"', re.IGNORECASE)


def test_every_patient_page_is_light_and_self_hosted(
    client: Any, make_patient: Callable[..., User], login: Callable[[User], None], clock: FrozenClock
) -> None:
    patient = make_patient(started_at=clock() - timedelta(days=3))
    login(patient)
    # Every page reachable in one click from the home, plus the home and the current step.
    home = client.get("/learn/")
    assert home.status_code == 200
    pages = {"/learn/"} | {
        link for link in LINK.findall(home.data.decode()) if link.startswith("/") and "logout" not in link
    }
    assert len(pages) >= 6, pages
    weights = {}
    for page in sorted(pages):
        response = client.get(page)
        if response.status_code != 200:
            continue
        html = response.data.decode()
        total = len(response.data)
        for url in ASSET.findall(html):
            assert urlparse(urljoin("http://localhost/", url)).netloc == "localhost", f"{page} loads {url}"
            asset = client.get(url)
            assert asset.status_code == 200, url
            total += len(asset.data)
            asset.close()
        weights[page] = total
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert len(weights) >= 6, weights
    heavy = {page: weight for page, weight in weights.items() if weight > LIMIT}
    assert heavy == {}, f"over {LIMIT} bytes: {heavy}"
    print({page: round(weight / 1024, 1) for page, weight in weights.items()})

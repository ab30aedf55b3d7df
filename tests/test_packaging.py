"""The Dockerfile copies files that exist and checks health on the configured port."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def test_every_path_the_dockerfile_copies_exists():
    copies = re.findall(r"^COPY\s+(.+)$", DOCKERFILE, re.M)
    assert copies
    for line in copies:
        *sources, _dest = line.split()
        for source in sources:
            assert (REPO / source).exists(), source


def test_healthcheck_uses_the_port_setting_and_no_literal_port():
    check = re.search(r"^HEALTHCHECK .*$", DOCKERFILE, re.M)
    assert check is not None
    assert "LUMI_HTTP_PORT" in check.group(0)
    assert not re.search(r":\d{2,5}/", check.group(0))
    assert re.search(r"^\s*LUMI_HTTP_PORT=\d+", DOCKERFILE, re.M)

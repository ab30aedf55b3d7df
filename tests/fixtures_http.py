"""Loopback HTTP fixtures: a real server over the shared data, and settings that allow it.

``conftest.py`` imports ``loopback_server``; tests call ``guarded_settings(server)`` to get
settings whose address guard allows exactly that server (never the global switch).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback import LoopbackServer

from pipeline.settings import Settings, load_settings

#: where the shared data keeps the compression bombs and broken gzip files
COMPRESSED = Path("feeds/hostile/scrapy-compressed/tests/sample_data/compressed")


@pytest.fixture
def loopback_server(shared_data: Path) -> Iterator[LoopbackServer]:
    """A loopback HTTP server serving the shared data folder (and its compression bombs)."""
    with LoopbackServer(shared_data, compressed_dir=shared_data / COMPRESSED) as server:
        yield server


def guarded_settings(server: LoopbackServer, **changes: Any) -> Settings:
    """Default settings (environment ignored) that allow exactly ``server``'s host:port.

    Args:
        server: a running :class:`LoopbackServer`.
        changes: further setting overrides (e.g. ``http_timeout=1``).
    """
    return load_settings(env={}).replace(allowed_addresses=[server.host_port], **changes)

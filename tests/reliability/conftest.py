"""Fixtures of the hostile-input suites: the canary port, the fault server, a resolver stub.

The canary is a listener that no test may reach: every test checks it was not visited, and
the session checks it again at teardown. The resolver stub answers for the names a test
registers and for address literals and ``localhost``; every other name "does not exist",
so the suites never ask a real DNS server anything.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from faultserver import Canary, FaultServer
from harness import StubResolver


@pytest.fixture(scope="session", autouse=True)
def canary() -> Iterator[Canary]:
    """The port nothing may connect to; the session fails if anything did."""
    listener = Canary()
    listener.start()
    yield listener
    listener.stop()
    assert listener.hits == 0, f"the canary port was reached: {listener.visits}"


@pytest.fixture(autouse=True)
def _canary_untouched(canary: Canary) -> Iterator[None]:
    before = canary.hits
    yield
    assert canary.hits == before, f"this test reached the canary port: {canary.visits[before:]}"


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


@pytest.fixture(autouse=True)
def resolver(monkeypatch: pytest.MonkeyPatch) -> StubResolver:
    """The event loop's resolver, replaced for the test (see the module docstring)."""
    stub = StubResolver()
    real = asyncio.base_events.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self: Any, host: Any, port: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        answer = stub.lookup(name)
        if answer is not None:
            number = int(port or 0)
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, number, 0, 0))
                if ":" in a
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, number))
                for a in answer
            ]
        if _is_literal(name) or name.lower() == "localhost":
            return await real(self, host, port, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return stub


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    """A running fault server on 127.0.0.1."""
    with FaultServer() as server:
        yield server

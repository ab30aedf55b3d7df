"""Fault injection for crash tests: a process kills itself at a named point.

When the environment variable :data:`KILL_AT_ENV` names one of :data:`KILL_POINTS`, the
process sends itself SIGKILL on reaching that point: no cleanup, no commit, no ``finally``.
The crash tests and the on-demand chaos run (``bench/chaos.py``) restart it afterwards and
check that nothing was lost or stored twice. Unset (always, outside those runs): no effect.

This module is the only place the variable is read; it is not a setting (``lumi config``
does not show it) because nothing but a crash test should ever set it.
"""

from __future__ import annotations

import os
import signal

__all__ = ["KILL_AT_ENV", "KILL_POINTS", "kill_point"]

#: The environment variable naming the point to die at.
KILL_AT_ENV = "LUMI_TEST_KILL_AT"

#: Every named point, with what has and has not happened when the process dies there.
KILL_POINTS: dict[str, str] = {
    "after-fetch": "a feed's body arrived; nothing of it is stored",
    "mid-insert": "a feed's first entry is stored, the others are not",
    "before-state-update": "the entries are stored; the feed states and leases are not",
    "during-export": "every digest file is written to its temporary file and the first is "
    "moved into place; the others are not",
    "during-reclassify": "the first batch of results is committed, the later ones are not",
}


def kill_point(name: str) -> None:
    """Die here with SIGKILL when :data:`KILL_AT_ENV` names ``name`` (one of
    :data:`KILL_POINTS`); otherwise return."""
    assert name in KILL_POINTS, name
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)

"""Soak: 500 feeds on 50 loopback virtual hosts over a simulated day (run on demand).

The soak server (``tests/reliability/soakserver.py``, in its own process) publishes items
on an injected clock and injects about 5% faults; this process drives Lumi's real ingest
cycle over the day, drains it, exports the day's digest twice and checks the invariants (no
duplicates, every item of a healthy feed stored once, zero canary hits, the per-host limit
on every virtual host, peak RSS within its bound, the digest byte-identical). The test
suite runs the same harness at a small scale (``tests/reliability/test_soak.py``).

Usage: python bench/soak.py [--backend sqlite|postgresql] [--scale full|short] [--json]
Exit status 1 when an invariant is broken.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "reliability"))  # the soak harness and server

from soakharness import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

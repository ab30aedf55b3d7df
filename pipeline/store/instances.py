"""Names of running Lumi processes in the database (feed leases, digest claims): one
function makes them, one reads them back, so the format lives in one place."""

from __future__ import annotations

import os
import socket
import uuid

__all__ = ["gone_local_instance", "instance_id"]


def instance_id() -> str:
    """A name for this process in the database (leases, digest claims): host, pid, nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def gone_local_instance(instance: str, me: str) -> bool:
    """Whether ``instance`` (as :func:`instance_id` names it) ran on this host and its
    process no longer exists; ``me`` is the asking instance. Anything else (another host, a
    live or unknowable process, a name of another shape) is False: such a claim waits for
    its timeout."""
    host, _, rest = instance.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or instance == me:
        return False
    if int(pid_text) == os.getpid():
        # another instance under our own pid (a container's PID 1 restarted) has ended
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but is not ours to signal
        return False
    return False

"""Free loopback ports for test servers, chosen outside the kernel's ephemeral range.

A port from ``bind(0)`` comes from the ephemeral range (32768-60999 here), the same range the
kernel hands to outgoing client connections; between releasing it and the server binding it, a
client socket can take it ("address already in use"). Ports picked at random below that range
are never handed out implicitly, so only another test server could collide, and the random
choice makes that rare.
"""

from __future__ import annotations

import random
import socket

LOW, HIGH = 20_000, 32_000


def free_port() -> int:
    """A loopback TCP port in [20000, 32000) that is free right now."""
    rnd = random.SystemRandom()
    for _ in range(200):
        port = rnd.randrange(LOW, HIGH)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in [{LOW}, {HIGH})")

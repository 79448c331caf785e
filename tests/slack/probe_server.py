"""`socbot serve` with the probe listeners added, for tests that start server processes.

python -m tests.slack.probe_server   # settings from the environment, like socbot serve
"""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.slack.server import serve
from tests.slack.probes import probe_listeners

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    serve(Settings(), socket=False, registrars=[probe_listeners])

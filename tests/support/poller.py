"""One more Open Lines process on a shared journal, for tests that kill it: ``python -m tests.support.poller
DATA_DIR JSON_SETTINGS LEASE_SECONDS``. It prints "ready" once its channels started, then runs until killed."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from backends.telegram.backend import TelegramBackend
from tests.support.runtime import Running


def main() -> None:
    data_dir, settings, lease = Path(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
    TelegramBackend.lease_seconds = lease
    running = Running(data_dir, **settings)
    print("ready", running.http_port, flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    main()

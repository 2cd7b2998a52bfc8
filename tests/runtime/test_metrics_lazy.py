"""prometheus-client is loaded by the first /metrics scrape, not at start (it held ~13 MB of every process)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = """
import sys
import runtime.app, runtime.host, runtime.ops  # what the OpenLines plugin starts with
from runtime.metrics import ProcessMetrics
metrics = ProcessMetrics()
metrics.count("openlines_messages_received_total", ("support", "webchat"))
metrics.observe("openlines_relay_seconds", 0.04)
print("before", "prometheus_client" in sys.modules)
text = metrics.render(None).decode()
print("after", "prometheus_client" in sys.modules)
print(text)
"""


def test_prometheus_client_is_imported_by_the_first_scrape_only() -> None:
    out = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=True).stdout
    assert "before False" in out
    assert "after True" in out
    assert 'openlines_messages_received_total{channel="webchat",line="support"} 1.0' in out
    assert 'openlines_relay_seconds_bucket{le="0.05"} 1.0' in out
    assert "process_resident_memory_bytes" in out

"""deploy/prometheus/: promtool accepts the rules and the scrape config, and every metric the rules
name is one a real Open Lines exports (a renamed metric would leave an alert that never fires)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.support.runtime import Running

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES, SCRAPE = PROMETHEUS / "openlines-rules.yml", PROMETHEUS / "openlines-scrape.yml"
SERIES = {"histogram": ("_bucket", "_count", "_sum")}
promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (.ci/run installs it)")


@promtool
def test_promtool_accepts_the_alert_rules():
    done = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr


@promtool
def test_promtool_accepts_the_scrape_config(tmp_path):
    token = tmp_path / "openlines-metrics.token"
    token.write_text("a-token\n")
    shutil.copy(RULES, tmp_path / RULES.name)
    config = SCRAPE.read_text().replace("/etc/prometheus/", f"{tmp_path}/")
    (tmp_path / "prometheus.yml").write_text(config)
    done = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


async def test_every_metric_the_rules_name_is_exported(tmp_path):
    running = Running(tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{running.base_url}/metrics") as response:
                text = await response.text()
    finally:
        running.stop()
    exported = set()  # every series name each declared family can have, samples or not yet (a counter: its own)
    for family, kind in re.findall(r"^# TYPE (\w+) (\w+)$", text, re.M):
        exported |= {f"{family}{end}" for end in SERIES.get(kind, ("",))}
    named = set(re.findall(r"\b(openlines_\w+)", RULES.read_text()))
    assert named and not named - exported, sorted(named - exported)
    assert {"openlines_messages_received_total", "openlines_messages_sent_total", "openlines_relay_seconds_bucket",
            "openlines_send_retries_total", "openlines_send_failures_total", "openlines_work_backlog",
            "openlines_dead_letters_total", "openlines_conversations_open", "openlines_queue_waiting",
            "openlines_first_answer_seconds_bucket", "openlines_webchat_sockets", "openlines_channels",
            "process_cpu_seconds_total"} <= exported

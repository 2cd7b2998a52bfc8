"""deploy/: each file is read by the tool that will read it in production — systemd-analyze, the
environment file against config.py, nginx (running, in front of a real Open Lines) — never untested."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ("openlines.service", "openlines-worker@.service")


def _installed(unit: str, tmp_path: Path) -> Path:
    """The unit as installed from this checkout: its paths pointed at this tree and temporary env files."""
    text = (DEPLOY / unit).read_text()
    for env in re.findall(r"^EnvironmentFile=-?(\S+)$", text, re.M):
        local = tmp_path / Path(env.replace("%i", "1")).name
        shutil.copy(DEPLOY / "openlines.env", local) if local.name == "openlines.env" else local.write_text("")
        text = text.replace(env, str(tmp_path / Path(env).name))
    path = tmp_path / unit.replace("@.", "@1.")
    path.write_text(text.replace("/opt/openlines", str(ROOT)).replace("worker-%i.env", "worker-1.env"))
    return path


def _need_systemd_analyze() -> None:
    """CI installs it (.ci/run): there a missing tool fails; elsewhere it skips with how to get it."""
    if shutil.which("systemd-analyze") is None:
        message = "systemd-analyze is not installed (Debian's systemd package)"
        pytest.fail(message) if os.environ.get("CI") == "true" else pytest.skip(message)


@pytest.mark.parametrize("unit", UNITS)
def test_the_units_pass_systemd_analyze_verify(unit, tmp_path):
    _need_systemd_analyze()
    path = _installed(unit, tmp_path)
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    ours = [line for line in (done.stdout + done.stderr).splitlines() if path.name in line]
    assert done.returncode == 0 and not ours, done.stdout + done.stderr


def test_a_typo_in_a_unit_is_caught(tmp_path):
    _need_systemd_analyze()
    path = _installed("openlines.service", tmp_path)
    path.write_text(path.read_text().replace("ExecStart=", "ExecStrat="))
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert "ExecStrat" in done.stdout + done.stderr


def test_the_units_run_what_the_readme_runs_and_read_the_environment_file():
    team = (DEPLOY / "openlines.service").read_text()
    assert "ExecStart=/opt/openlines/.venv/bin/errbot -c config.py" in team
    assert "EnvironmentFile=/etc/openlines/openlines.env" in team
    worker = (DEPLOY / "openlines-worker@.service").read_text()
    assert "python -m runtime.worker" in worker and "PostgreSQL" in worker
    assert "EnvironmentFile=/etc/openlines/openlines.env" in worker
    data_dir = _env_file()["OPENLINES_DATA_DIR"]
    assert f"ReadWritePaths={data_dir}" in team and f"ReadWritePaths={data_dir}" in worker


def _env_file() -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate((DEPLOY / "openlines.env").read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"openlines.env:{number}: {line!r}"
        assert not value.startswith(('"', "'")), f"openlines.env:{number}: systemd would keep the quotes"
        values[name] = value
    return values


def test_the_environment_file_names_only_variables_open_lines_reads():
    read = set(re.findall(r'"(OPENLINES_[A-Z0-9_]+)"', (ROOT / "config.py").read_text()))
    named = set(_env_file()) | set(re.findall(r"^#(OPENLINES_[A-Z0-9_]+)=", (DEPLOY / "openlines.env").read_text(),
                                              re.M))
    assert named and not named - read, f"not read by config.py: {sorted(named - read)}"
    assert _env_file()["OPENLINES_TRUSTED_PROXIES"] == "127.0.0.1"  # nginx on this machine

"""deploy/nginx-openlines.conf in front of a real Open Lines: nginx accepts it (nginx -t), the website
chat's WebSocket goes through it, and the address Open Lines counts is the one nginx saw — a forged
X-Forwarded-For from the client changes nothing (OPENLINES_TRUSTED_PROXIES=127.0.0.1 as in openlines.env)."""
from __future__ import annotations

import datetime
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path
from typing import Iterator

import aiohttp
import pytest

from tests.support.runtime import Running
from tests.support.webchat import Tab

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chat.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _config(tmp_path: Path, upstream: int, http_port: int, https_port: int) -> Path:
    """The sample as an admin installs it: only its addresses, ports and certificate paths changed."""
    site = (ROOT / "deploy" / "nginx-openlines.conf").read_text()
    cert, key = _self_signed(tmp_path)
    for old, new in (("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream};"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"), ("listen [::]:80;", ""),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("listen [::]:443 ssl http2;", ""),
                     ("/etc/letsencrypt/live/chat.example.com/fullchain.pem", str(cert)),
                     ("/etc/letsencrypt/live/chat.example.com/privkey.pem", str(key))):
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
                    f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    return main


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[tuple[Running, int]]:
    running = Running(tmp_path / "data", trusted_proxies=("127.0.0.1",), webchat_sockets_per_ip=1)
    https = _free_port()
    main = _config(tmp_path, running.http_port, _free_port(), https)
    prefix = ["nginx", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)]
    checked = subprocess.run([*prefix, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen([*prefix, "-g", "daemon off; master_process off;"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while not _listening(https):
            assert nginx.poll() is None and time.monotonic() < deadline, nginx.stderr.read() if nginx.stderr else ""
            time.sleep(0.1)
        yield running, https
    finally:
        nginx.terminate()
        nginx.wait(10)
        if nginx.stderr is not None:
            nginx.stderr.close()
        running.stop()


async def test_the_website_chat_through_nginx_counts_the_address_nginx_saw(behind_nginx):
    running, https = behind_nginx
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # the test's own certificate
    url = f"wss://127.0.0.1:{https}/webchat/support/ws"
    async with aiohttp.ClientSession() as session:
        tab = Tab(await session.ws_connect(url, ssl=insecure, headers={"X-Forwarded-For": "198.51.100.1"}))
        await tab.hello(name="Ada")  # the upgrade went through, both ways
        assert (await tab.say("hello through the proxy"))["seq"]
        # One socket per address: a second from "another" forged address is still 127.0.0.1's second.
        second = await session.ws_connect(url, ssl=insecure, headers={"X-Forwarded-For": "198.51.100.2"})
        refusal = await second.receive_json(timeout=10)
        assert refusal["code"] == "rate_limited" and "your address" in refusal["message"], refusal
        await second.close()
        await tab.close()
        async with session.get(f"https://127.0.0.1:{https}/readyz", ssl=insecure) as response:
            body = await response.json()
        # Through the proxy, Open Lines gives the status and counts, not the machine-only details.
        assert response.status == 200 and body["channels"] == {"running": 1, "failing": 0, "stopped": 0}
        async with session.get(f"https://127.0.0.1:{https}/metrics", ssl=insecure) as response:
            assert response.status == 401

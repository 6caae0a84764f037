"""A real IMAP server for the mailin tests: Debian's dovecot, started per test session as a
foreground (non-daemon) process with a generated minimal config in a temporary directory —
loopback only, a free port, a static password, maildir storage, no SSL."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "imap-test-secret"


@dataclass
class Dovecot:
    host: str
    port: int
    password: str
    root: str

    def client(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(user, self.password)
        return conn

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client(user)
        try:
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _users() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid): dovecot refuses to run its login process or
    mail as root, so as root the package's own unprivileged users are used."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_name, os.getuid(), os.getgid()
    dovecot = pwd.getpwnam("dovecot")
    return "dovenull", "dovecot", dovecot.pw_uid, dovecot.pw_gid


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.fail("dovecot is not installed: apt-get install dovecot-imapd (scripts/test installs it)")
    root = tempfile.mkdtemp(prefix="opsdesk-dovecot-")
    os.chmod(root, 0o755)  # the mail user (not the test runner when root) must reach its maildir
    login_user, internal_user, uid, gid = _users()
    home = os.path.join(root, "home")
    os.mkdir(home)
    os.chown(home, uid, gid)
    port = _free_port()
    config = os.path.join(root, "dovecot.conf")
    with open(config, "w") as fh:
        fh.write(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = opsdesk-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {uid}
first_valid_gid = {gid}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
    proc = subprocess.Popen([DOVECOT, "-F", "-c", config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                log = open(os.path.join(root, "dovecot.log")).read() if os.path.exists(os.path.join(root, "dovecot.log")) else ""
                proc.kill()
                pytest.fail(f"dovecot did not start: {out}\n{log}")
            time.sleep(0.05)
    try:
        yield Dovecot(host="127.0.0.1", port=port, password=PASSWORD, root=root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)

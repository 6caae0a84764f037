"""Temporary PostgreSQL clusters for the replica test: a primary (initdb, wal_level=replica, replication
allowed from 127.0.0.1) and a streaming standby made with pg_basebackup, each on a free port in a temp
dir, run by the server's own binaries (/usr/lib/postgresql/<major>/bin). Root runs them as `postgres`
(initdb refuses root). Stopped at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def pg_bin() -> Path:
    root = Path("/usr/lib/postgresql")
    versions = sorted((p for p in root.iterdir() if (p / "bin" / "initdb").exists()),
                      key=lambda p: int(p.name)) if root.exists() else []
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return versions[-1] / "bin"


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, timeout=180, **kwargs)
    if result.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {result.stdout[-1500:]} {result.stderr[-1500:]}")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    data: Path
    port: int

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def psql(self, sql: str, db: str = "postgres") -> str:
        return _run([str(pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
                     "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql]).stdout.strip()

    def load(self, sql: str, db: str) -> None:
        _run([str(pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
              "-Xq", "-v", "ON_ERROR_STOP=1"], input=sql)

    def start(self) -> None:
        _run([str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "-t", "60",
              "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "start"])

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                                     "stop"]), capture_output=True, timeout=60)


def _owned_dir(path: Path) -> Path:
    """A directory the server's user owns (the base is a fresh mkdtemp under /tmp, see make_base)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def make_base() -> Path:
    import tempfile

    return _owned_dir(Path(tempfile.mkdtemp(prefix="opsdesk-replica-")))


def start_primary(base: Path) -> Cluster:
    data = _owned_dir(base / "primary")
    _run([str(pg_bin() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
          "--locale=C.UTF-8"])
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
                   "synchronous_commit = off\nfull_page_writes = off\n")
    # initdb's pg_hba.conf (trust) already allows `replication` from 127.0.0.1.
    cluster = Cluster(data=data, port=free_port())
    cluster.start()
    return cluster


def start_replica(base: Path, primary: Cluster) -> Cluster:
    data = _owned_dir(base / "replica")
    _run([str(pg_bin() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
          "-D", str(data), "-R", "-X", "stream", "-c", "fast"])
    cluster = Cluster(data=data, port=free_port())
    cluster.start()
    deadline = time.monotonic() + 60
    while cluster.psql("SELECT pg_is_in_recovery()") != "t":
        if time.monotonic() > deadline:
            raise RuntimeError("the standby never entered recovery")
        time.sleep(0.2)
    return cluster

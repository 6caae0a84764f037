"""A real OpenLDAP server (Debian's slapd) for the directory sign-in tests: a temp directory, a generated
slapd.conf (mdb backend, suffix dc=example,dc=org), a free unprivileged port, entries loaded with
ldapadd, stopped at the end. Its stats log shows which searches the directory received."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SLAPD = "/usr/sbin/slapd"
SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "admin-secret"
BIND_DN = f"cn=opsdesk,ou=services,{SUFFIX}"
BIND_PW = "bind-secret"

CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
loglevel stats
database mdb
maxsize 20971520
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_pw}
directory {dir}/db
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
"""


def _person(uid: str, name: str, password: str) -> str:
    return (f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\n"
            f"sn: {name.split()[-1]}\nmail: {uid}@example.org\nuserPassword: {password}\n")


def _group(cn: str, members: list[str]) -> str:
    # groupOfNames needs a member: the service account keeps a group valid when its people leave.
    lines = f"member: {BIND_DN}\n" + "".join(f"member: uid={m},ou=people,{SUFFIX}\n" for m in members)
    return f"dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n{lines}"


BASE_LDIF = "\n".join([
    f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
    f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
    f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n",
    f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n",
    f"dn: {BIND_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: opsdesk\n"
    f"userPassword: {BIND_PW}\n",
    _person("wang.wei", "Wang Wei", "Engineer-Pass-1"),
    _person("li.na", "Li Na", "Manager-Pass-1"),
    _person("zhao.lei", "Zhao Lei", "Nobody-Pass-1"),
    _person("acme.customer", "Directory Namesake", "Directory-Pass-1"),
    _group("opsdesk-engineers", ["wang.wei"]),
    _group("opsdesk-dispatchers", ["li.na"]),
    _group("opsdesk-managers", ["li.na"]),
    _group("unrelated", ["zhao.lei"]),
])


@dataclass
class Slapd:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def ldif(self, tool: str, text: str) -> None:
        subprocess.run([tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW], input=text.encode(),
                       check=True, capture_output=True, timeout=30)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def available() -> bool:
    return Path(SLAPD).exists() and shutil.which("ldapadd") is not None


def start(tmp: Path) -> Slapd:
    (tmp / "db").mkdir(parents=True)
    conf = tmp / "slapd.conf"
    conf.write_text(CONF.format(dir=tmp, suffix=SUFFIX, root_dn=ROOT_DN, root_pw=ROOT_PW))
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = tmp / "slapd.log"
    # -d stats: stay in the foreground (the test owns the process) and log every operation.
    process = subprocess.Popen([SLAPD, "-f", str(conf), "-h", f"{url}/", "-d", "stats"],
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Slapd(url=url, log=log, process=process)
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("slapd did not start listening") from None
            time.sleep(0.1)
    server.ldif("ldapadd", BASE_LDIF)
    return server

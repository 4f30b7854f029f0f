"""A real OpenLDAP directory for the sign-in tests: Debian's `slapd` as a child process on an ephemeral
loopback port, with a throwaway slapd.conf and database, seeded over LDAP (so the memberOf overlay fills
the users' memberOf, as it does in a studio's directory).

Seeded under dc=farmstead,dc=test: ou=people with alice (groups artists and farm-admins), bob (artists),
dave (no group), and carol, whose `employeeType: disabled` the sign-in filter excludes; ou=groups with the two
groupOfNames; ou=services with the service account search-then-bind signs in with. Passwords are stored
salted-SHA hashed, as slappasswd would. With `tls=True` it also speaks StartTLS and LDAPS (a second port)
with a certificate for 127.0.0.1 from a throwaway CA made by the openssl command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ldap3 import HASHED_SALTED_SHA, Connection, Server
from ldap3.utils.hashed import hashed

from farmstead.testing.live_server import free_port

SLAPD = "/usr/sbin/slapd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
BASE = "dc=farmstead,dc=test"
ROOT_DN = f"cn=root,{BASE}"
ROOT_PASSWORD = "root-password-1"
SERVICE_DN = f"cn=farmstead,ou=services,{BASE}"
SERVICE_PASSWORD = "service-password-1"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
#: name -> (password, groups); carol is disabled.
USERS = {
    "alice": ("alice-directory-pw", ("artists", "farm-admins")),
    "bob": ("bob-directory-pw", ("artists",)),
    "carol": ("carol-directory-pw", ("artists",)),
    "dave": ("dave-directory-pw", ()),  # disabled by a test while signed in
    "frank": ("frank-directory-pw", ()),  # also a local user's name in a test
}
DISABLED = {"carol"}


def slapd_missing(tls: bool = False) -> str | None:
    """Why the directory (with `tls`, speaking TLS) can't be started here, or None."""
    if not os.path.exists(SLAPD):
        return f"{SLAPD} is missing (Debian's slapd: `make ldap-tools` installs it as root)"
    if tls and not shutil.which("openssl"):
        return "the openssl command is missing (it makes the test directory's TLS certificates)"
    if not (MODULE_DIR / "back_mdb.so").exists() or not (SCHEMA_DIR / "inetorgperson.schema").exists():
        return f"slapd's modules ({MODULE_DIR}) or schemas ({SCHEMA_DIR}) are missing"
    return None


def make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    """A throwaway certificate authority: (certificate, key) PEM files."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
             "-subj", f"/CN=Farmstead test {name}")
    return cert, key


def _server_certificate(directory: Path, ca: tuple[Path, Path]) -> tuple[Path, Path]:
    cert, key, request, extensions = (directory / name for name in ("server.pem", "server.key", "server.csr",
                                                                    "server.ext"))
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1")
    extensions.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", request, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial", "-out", cert,
             "-days", "1", "-extfile", extensions)
    return cert, key


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def _config(root: Path, tls: tuple[Path, Path, Path] | None) -> str:
    schemas = "\n".join(f"include {SCHEMA_DIR / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis"))
    tls_lines = ""
    if tls:
        ca, cert, key = tls
        tls_lines = f"TLSCACertificateFile {ca}\nTLSCertificateFile {cert}\nTLSCertificateKeyFile {key}"
    return f"""{schemas}
modulepath {MODULE_DIR}
moduleload back_mdb
moduleload memberof
pidfile {root / 'slapd.pid'}
argsfile {root / 'slapd.args'}
{tls_lines}

database mdb
maxsize 16777216
suffix "{BASE}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {root / 'data'}
overlay memberof
# Passwords only for binding; the rest readable by signed-in accounts, nothing by anonymous.
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
"""


@dataclass
class LdapDirectory:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="farmstead-slapd-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    tls: bool = False
    ldaps_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def ca_file(self) -> Path:
        return self.root / "tls" / "ca.pem"

    def start(self, timeout: float = 20.0) -> LdapDirectory:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        tls = None
        urls = f"{self.url}/"
        if self.tls:
            ca = make_ca(self.root / "tls", "ca")
            tls = (ca[0], *_server_certificate(self.root / "tls", ca))
            urls += f" {self.ldaps_url}/"
        (self.root / "slapd.conf").write_text(_config(self.root, tls))
        # -d 0: stay in the foreground (a child we can stop), logging nothing.
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-f", str(self.root / "slapd.conf"), "-h", urls],
            stdout=open(self.root / "slapd.log", "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {(self.root / 'slapd.log').read_text(errors='replace')}")
            try:
                conn = self.admin()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with conn:
            self._seed(conn)
        return self

    def admin(self) -> Connection:
        return Connection(Server(self.url, connect_timeout=2), ROOT_DN, ROOT_PASSWORD, auto_bind=True,
                          raise_exceptions=True)

    def _seed(self, conn: Connection) -> None:
        conn.add(BASE, ["dcObject", "organization"], {"dc": "farmstead", "o": "Farmstead test studio"})
        for ou in ("people", "groups", "services"):
            conn.add(f"ou={ou},{BASE}", "organizationalUnit", {"ou": ou})
        conn.add(SERVICE_DN, ["person"], {"cn": "farmstead", "sn": "service",
                                          "userPassword": hashed(HASHED_SALTED_SHA, SERVICE_PASSWORD)})
        for name, (password, _) in USERS.items():
            attributes = {"uid": name, "cn": name.title(), "sn": name.title(), "mail": f"{name}@farmstead.test",
                          "userPassword": hashed(HASHED_SALTED_SHA, password)}
            if name in DISABLED:
                attributes["employeeType"] = "disabled"
            conn.add(self.user_dn(name), "inetOrgPerson", attributes)
        for group in sorted({g for _, groups in USERS.values() for g in groups}):
            members = [self.user_dn(name) for name, (_, groups) in USERS.items() if group in groups]
            conn.add(f"cn={group},{GROUPS}", "groupOfNames", {"cn": group, "member": members})

    @staticmethod
    def user_dn(name: str) -> str:
        return f"uid={name},{PEOPLE}"

    def disable(self, name: str) -> None:
        with self.admin() as conn:
            conn.modify(self.user_dn(name), {"employeeType": [("MODIFY_REPLACE", ["disabled"])]})

    def server_env(self, **extra: str) -> dict[str, str]:
        """The `farmstead server` settings for this directory, search-then-bind with the service account."""
        return {
            "FARMSTEAD_LDAP_URL": self.url,
            "FARMSTEAD_LDAP_BIND_DN": SERVICE_DN,
            "FARMSTEAD_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "FARMSTEAD_LDAP_USER_BASE": PEOPLE,
            "FARMSTEAD_LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid={username})(!(employeeType=disabled)))",
            "FARMSTEAD_LDAP_ADMIN_GROUP": f"cn=farm-admins,{GROUPS}",
            **extra,
        }

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

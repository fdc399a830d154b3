"""A private MariaDB server on 127.0.0.1 standing in for a town's Dolt SQL server (both speak the
MySQL protocol; Dolt cannot be installed here). Fixtures (imported by tests/conftest.py):

- ``mariadb`` (session): a started ``MariaDB``; ``connect(database=None, **kw)``,
  ``create_database(name, layout="split")``, ``fresh_database(layout="split")``, ``stop()``,
  ``kill()``, ``start()`` (again, on the same port and data dir), ``running``
- ``beads_db`` (function): a ``BeadsDB``, a fresh database with the beads tables of a layout
  (``"split"``, or ``request.param`` when parametrised with ``indirect=True``); dropped afterwards

The server runs as root with no password over TCP (``--auth-root-authentication-method=normal``
creates ``root@127.0.0.1``), listens on loopback only, and keeps its data dir, socket, pid file
and error log in a pytest temp dir; at the end of the session it stops, its data dir is removed
and its error log stays (pytest prunes old temp dirs).
Where MariaDB differs from Dolt, see tests/beads_sql.py and ``SERVER_OPTIONS`` below.

Without ``mariadbd`` and ``mariadb-install-db`` the fixtures skip, except under ``CI=true``, where
they fail: .ci/run installs Debian's mariadb-server when it is missing.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.beads_sql import LAYOUTS, ddl

if TYPE_CHECKING:
    import pymysql

HOST = "127.0.0.1"
READY_TIMEOUT = 30.0
SBIN = ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin")
# Options that bring MariaDB's defaults nearer Dolt's:
# - utf8mb4 with a binary (case-sensitive) collation: Dolt's default is utf8mb4_0900_bin, which
#   MariaDB 10.11 lacks; utf8mb4_bin is the closest (but PAD SPACE: 'a ' = 'a' here, not in Dolt).
#   MariaDB's own default would be latin1_swedish_ci, case-insensitive.
# - ONLY_FULL_GROUP_BY, in Dolt's default sql_mode (MySQL 8's) and not in MariaDB's. (Dolt parses
#   STRICT_TRANS_TABLES without enforcing all of it: a bad value MariaDB refuses may get into Dolt.)
# - UTC session time zone, so CURRENT_TIMESTAMP defaults match the UTC times beads writes (DATETIME
#   has no zone in either server; Dolt's time_zone defaults to SYSTEM too, usually UTC in a town).
SERVER_OPTIONS = (
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_bin",
    "--sql-mode=ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION",
    "--default-time-zone=+00:00",
    # A redo log of 16 MiB, not 96: a fresh data dir takes ~35 MiB instead of ~115.
    "--innodb-log-file-size=16M",
)
_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return next((str(Path(d) / name) for d in SBIN if os.access(Path(d) / name, os.X_OK)), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _orphan_guard() -> list[str]:
    """A prefix that makes the kernel SIGTERM the server when pytest dies without its teardown:
    util-linux's ``setpriv --pdeathsig`` (Linux; no preexec_fn, which is unsafe with threads)."""
    setpriv = find_binary("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


@dataclass
class MariaDB:
    """One private server: its files under ``root``, on ``HOST:port`` for its whole life."""

    root: Path
    mariadbd: str
    port: int = field(default_factory=free_port)
    host: str = HOST
    startup_seconds: float = 0.0  # how long the last start() took until it accepted connections
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _names: Iterator[int] = field(default_factory=itertools.count, repr=False)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def error_log(self) -> Path:
        return self.root / "error.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def install(self, install_db: str) -> None:
        """Create the data dir (system tables only, no test db): about half a second."""
        user = "root" if os.geteuid() == 0 else _user()
        # --force: skip its check that the host name resolves (it often does not in a fresh CI
        # container); the server is reached by IP only (--skip-name-resolve).
        cmd = [install_db, "--no-defaults", "--auth-root-authentication-method=normal", "--force",
               f"--datadir={self.datadir}", f"--user={user}", "--skip-test-db", "--innodb-log-file-size=16M"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def start(self, timeout: float = READY_TIMEOUT) -> None:
        if self.running:
            return
        user = "root" if os.geteuid() == 0 else _user()
        cmd = [*_orphan_guard(), self.mariadbd, "--no-defaults", f"--user={user}", f"--datadir={self.datadir}",
               f"--socket={_socket_path(self.root)}", f"--port={self.port}", f"--bind-address={HOST}",
               "--skip-name-resolve", f"--pid-file={self.root / 'mariadbd.pid'}",
               f"--log-error={self.error_log}", *SERVER_OPTIONS]
        began = time.monotonic()
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        try:
            self._wait_ready(timeout)
        except RuntimeError:
            self.kill()
            raise
        self.startup_seconds = time.monotonic() - began

    def _wait_ready(self, timeout: float) -> None:
        import pymysql

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"mariadbd exited ({self._proc and self._proc.returncode}) "
                                   f"before accepting connections:\n{self.log_tail()}")
            try:
                with self.connect(connect_timeout=2) as conn, conn.cursor() as cur:
                    # Another server could hold the port (a leftover, another session's): be sure.
                    cur.execute("SELECT @@datadir")
                    served = Path(cur.fetchone()[0])
                if served.resolve() != self.datadir.resolve():
                    raise RuntimeError(f"{self.host}:{self.port} is served by another server ({served})")
                return
            except pymysql.err.OperationalError as err:
                last = err
                time.sleep(0.05)
        raise RuntimeError(f"mariadbd did not accept connections on {self.host}:{self.port} within "
                           f"{timeout:.0f} s (last: {last}):\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> None:
        """A clean shutdown (SIGTERM), waiting for the process to exit; SIGKILL if it will not."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL: a crash, as far as the data dir can tell (InnoDB recovers on the next start)."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._proc = None

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.error_log.read_text(errors="replace")
        except OSError as err:
            return f"(no error log: {err})"
        return "\n".join(text.splitlines()[-lines:])

    def connect(self, database: str | None = None, **kw: Any) -> pymysql.Connection[Any]:
        import pymysql

        kw.setdefault("autocommit", True)
        kw.setdefault("charset", "utf8mb4")
        kw.setdefault("connect_timeout", 5)
        return pymysql.connect(host=self.host, port=self.port, user="root", password="",
                               database=database, **kw)

    def create_database(self, name: str, layout: str = "split") -> str:
        """Drop and create database ``name`` with the beads tables of ``layout`` (tests/beads_sql.py)."""
        if not _NAME.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        statements = ddl(layout)  # an unknown layout fails before anything is dropped
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            cur.execute(f"USE `{name}`")
            for statement in statements:
                cur.execute(statement)
        return name

    def fresh_database(self, layout: str = "split") -> str:
        return self.create_database(f"beads_{layout}_{os.getpid()}_{next(self._names)}", layout)

    def drop_database(self, name: str) -> None:
        if not _NAME.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


@dataclass
class BeadsDB:
    """One database of beads tables on the session's server."""

    server: MariaDB
    name: str
    layout: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    def connect(self, **kw: Any) -> pymysql.Connection[Any]:
        return self.server.connect(self.name, **kw)


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _socket_path(root: Path) -> Path:
    """A Unix socket path must fit in 107 bytes; a deep basetemp would not."""
    path = root / "mariadbd.sock"
    if len(str(path)) < 100:
        return path
    return Path(tempfile.mkdtemp(prefix="mdb-")) / "sock"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI=true MariaDB should have been installed by .ci/run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    mariadbd, install_db = find_binary("mariadbd"), find_binary("mariadb-install-db")
    if mariadbd is None or install_db is None:
        _unavailable("MariaDB server not installed (mariadbd and mariadb-install-db, Debian's mariadb-server): "
                     "the Dolt-server tests need it")
    try:
        import pymysql  # noqa: F401
    except ImportError:
        _unavailable("PyMySQL not installed: the Dolt-server tests need it")
    assert mariadbd is not None and install_db is not None
    server = MariaDB(root=tmp_path_factory.mktemp("mariadb"), mariadbd=mariadbd)
    try:
        server.install(install_db)
        server.start()
    except RuntimeError as err:
        pytest.fail(str(err), pytrace=False)
    yield server
    server.stop()
    shutil.rmtree(server.datadir, ignore_errors=True)  # ~100 MiB; the error log stays


@pytest.fixture
def beads_db(mariadb: MariaDB, request: pytest.FixtureRequest) -> Iterator[BeadsDB]:
    layout = getattr(request, "param", "split")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown beads layout {layout!r} (one of {', '.join(LAYOUTS)})")
    if not mariadb.running:  # a test that stopped or killed it and failed before starting it again
        mariadb.start()
    db = BeadsDB(mariadb, mariadb.fresh_database(layout), layout)
    yield db
    if mariadb.running:
        mariadb.drop_database(db.name)

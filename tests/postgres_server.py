"""A throw-away PostgreSQL server for the tests: Debian's `postgresql` package, a fresh cluster in a
temporary folder, listening on 127.0.0.1 only, on a free port, stopped and deleted at the end.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to the `postgres`
user the Debian package creates. `.ci/run` installs the package; without it the PostgreSQL tests fail
with a message naming the package (they never skip silently).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    folder: Path
    port: int
    bin_dir: Path
    user: str

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL (`postgresql://...`, as VERIFY_DB takes it)."""
        self._psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _psql(self, sql: str) -> None:
        psql = shutil.which("psql") or str(self.bin_dir / "psql")
        subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-q", "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", self.user, "-d", "postgres", "-c", sql], check=True, capture_output=True)

    def stop(self) -> None:
        _as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
                  self.user, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_bin_dir() -> Path:
    """The newest installed server's bin folder (Debian keeps them under /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (.ci/run does it)")
    return Path(found[-1]).parent


def start_postgres() -> PostgresServer:
    bin_dir = postgres_bin_dir()
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    folder = Path(tempfile.mkdtemp(prefix="verify-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    data = folder / "data"
    _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8",
               "--locale=C.UTF-8", "--no-sync"], user)
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c full_page_writes=off -c synchronous_commit=off -c max_connections=200")
    _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"),
               "-w", "-t", "60", "start"], user)
    server = PostgresServer(folder=folder, port=port, bin_dir=bin_dir, user=user)
    _wait_until_listening(port, folder)
    return server


def _as_owner(command: list[str], user: str, check: bool = True) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        command = ["runuser", "-u", user, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def _wait_until_listening(port: int, folder: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    log = (folder / "server.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"PostgreSQL did not start on 127.0.0.1:{port}:\n{log}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

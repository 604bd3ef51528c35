"""`make run`: the whole system on one machine, stopped cleanly with Ctrl-C.

Starts the embedded Postgres and nats-server (unless DATABASE_URL / NATS_URL point at real
ones), applies migrations, starts the four services, prints where to look, and on Ctrl-C
stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from recon.db.migrate import upgrade
from recon.db.session import create_engine, create_sessionmaker
from recon.devstack.demo import DemoStore, seed_demo
from recon.devstack.servers import EmbeddedNats, EmbeddedPostgres, free_port
from recon.settings import sqlalchemy_url

ROOT = Path.cwd()
DEMO_SMS_NUMBER = "+15125550100"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    app: str
    port: int


SERVICES = (
    ServiceSpec("board-api", "board_api.main:create_app", 8000),
    ServiceSpec("ingest-sms", "ingest_sms.main:create_app", 8001),
    ServiceSpec("inventory-sync", "inventory_sync.main:create_app", 8002),
    ServiceSpec("notifier", "notifier.main:create_app", 8003),
)


def preferred_port(port: int) -> int:
    """The usual port when it is free (so URLs stay the same run to run), else any free one."""
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


def admin_token(data_dir: Path) -> str:
    """RECON_ADMIN_TOKEN when set; otherwise one generated on the first run and kept."""
    if token := os.environ.get("RECON_ADMIN_TOKEN"):
        return token
    path = data_dir / "admin-token"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def wait_ready(url: str, *, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited during start-up (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout}s")


class Stack:
    """Everything `make run` started, so it can all be stopped in reverse order."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.postgres: EmbeddedPostgres | None = None
        self.nats: EmbeddedNats | None = None
        self.processes: list[tuple[ServiceSpec, subprocess.Popen[bytes]]] = []
        self.demo: DemoStore | None = None

    def start(self) -> dict[str, str]:
        env = dict(os.environ)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if "DATABASE_URL" in env:
            env["DATABASE_URL"] = sqlalchemy_url(env["DATABASE_URL"])
        else:
            print("starting Postgres (embedded, pgserver) ...", flush=True)
            self.postgres = EmbeddedPostgres(
                self.data_dir / "postgres", port=preferred_port(54329)
            ).start()
            env["DATABASE_URL"] = self.postgres.url()
        if "NATS_URL" not in env:
            print("starting nats-server with JetStream (embedded) ...", flush=True)
            self.nats = EmbeddedNats(self.data_dir / "nats", port=preferred_port(4222)).start()
            env["NATS_URL"] = self.nats.url
        env["RECON_ADMIN_TOKEN"] = admin_token(self.data_dir)
        print("applying migrations ...", flush=True)
        upgrade(env["DATABASE_URL"])
        if env.get("RECON_DEMO", "1") != "0":
            self.demo = asyncio.run(_seed_demo(env["DATABASE_URL"]))
        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        specs = [ServiceSpec(spec.name, spec.app, preferred_port(spec.port)) for spec in SERVICES]
        env.setdefault("BOARD_BASE_URL", f"http://127.0.0.1:{specs[0].port}")
        env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{specs[1].port}")
        for spec in specs:
            log = (logs / f"{spec.name}.log").open("ab")
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    spec.app,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(spec.port),
                    "--no-access-log",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.processes.append((spec, process))
        for spec, process in self.processes:
            wait_ready(f"http://127.0.0.1:{spec.port}/readyz", process=process)
        # So `make text` finds the services wherever they ended up listening.
        self.running_file.write_text(
            json.dumps(
                {
                    "board_url": env["BOARD_BASE_URL"],
                    "ingest_url": f"http://127.0.0.1:{specs[1].port}",
                    "public_base_url": env["PUBLIC_BASE_URL"],
                }
            )
        )
        return env

    @property
    def running_file(self) -> Path:
        return self.data_dir / "running.json"

    def stop(self) -> None:
        self.running_file.unlink(missing_ok=True)
        for _, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()


async def _seed_demo(database_url: str) -> DemoStore:
    engine = create_engine(database_url, pool_size=2)
    try:
        return await seed_demo(create_sessionmaker(engine), sms_number=DEMO_SMS_NUMBER)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local")
    args = parser.parse_args()
    stack = Stack(args.data_dir.resolve())
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        env = stack.start()
        print_welcome(stack, env)
        while not stopping:
            for spec, process in stack.processes:
                if process.poll() is not None:
                    print(
                        f"{spec.name} stopped (exit {process.returncode}); see its log", flush=True
                    )
                    stopping = True
            time.sleep(0.5)
    finally:
        print("\nstopping ...", flush=True)
        stack.stop()
        print("stopped; nothing left running.", flush=True)


def print_welcome(stack: Stack, env: dict[str, str]) -> None:
    lines = ["", "Recon Board is running:"]
    for spec, _ in stack.processes:
        lines.append(f"  {spec.name:<15} http://127.0.0.1:{spec.port}   (API docs: /docs)")
    lines += [
        f"  Postgres        {env['DATABASE_URL']}",
        f"  NATS            {env['NATS_URL']}",
        f"  admin token     {env['RECON_ADMIN_TOKEN']}",
        f"  logs            {stack.data_dir / 'logs'}",
    ]
    if stack.demo is not None:
        board = next(spec for spec, _ in stack.processes if spec.name == "board-api")
        lines += [
            "",
            f"Demo store '{stack.demo.slug}' (its texting number is {DEMO_SMS_NUMBER}):",
            f"  the board       http://127.0.0.1:{board.port}/board/{stack.demo.board_token}",
            '  text it         make text FROM=+15125550101 BODY="2260 brakes done"',
        ]
    lines += [
        "",
        "Press Ctrl-C to stop everything.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()

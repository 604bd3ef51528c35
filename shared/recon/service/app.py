"""The app factory every service uses: lifespan-managed Postgres pool and NATS connection,
the outbox relay for writers, background workers, `/healthz`, `/readyz` and `/metrics`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import io
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from sqlalchemy import text
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recon.db.session import create_engine, create_read_pool, create_sessionmaker
from recon.messaging.jetstream import connect, ensure_stream
from recon.messaging.relay import OutboxRelay
from recon.service.deps import StateDep
from recon.service.errors import install_error_handlers
from recon.service.state import ServiceState
from recon.settings import Settings, get_settings

log = logging.getLogger(__name__)

Worker = Callable[[ServiceState], Coroutine[Any, Any, None]]
# How long a stopping service waits for its workers (the relay, consumers, pollers) to end.
STOP_SECONDS = 10.0

REQUEST_SECONDS = Histogram(
    "recon_http_request_seconds",
    "HTTP requests by route and status",
    ["service", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def create_service_app(
    name: str,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    relay: bool = True,
    workers: Sequence[Worker] = (),
    middleware: Sequence[Middleware] = (),
    settings: Settings | None = None,
) -> FastAPI:
    """A Recon service. `relay` runs the outbox relay (every writer does); `workers` are
    long-running tasks (consumers, pollers) started after the connections are up;
    `middleware` runs inside the request metrics, so what it answers is timed too."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = settings or get_settings()
        logging.basicConfig(level=config.log_level, format="%(asctime)s %(name)s %(message)s")
        engine = create_engine(config.database_url, pool_size=config.db_pool_size)
        reads = await create_read_pool(config.asyncpg_dsn, max_size=config.db_pool_size)
        nats_client = await connect(config.nats_url, name=f"recon-{name}")
        js = nats_client.jetstream()
        await ensure_stream(js)
        state = ServiceState(
            name=name,
            settings=config,
            engine=engine,
            sessions=create_sessionmaker(engine),
            reads=reads,
            nats=nats_client,
            js=js,
        )
        app.state.recon = state
        tasks: list[asyncio.Task[None]] = []
        if relay:
            outbox = OutboxRelay(
                dsn=config.asyncpg_dsn,
                js=js,
                batch_size=config.outbox_batch_size,
                poll_seconds=config.outbox_poll_seconds,
            )
            app.state.relay = outbox
            tasks.append(asyncio.create_task(outbox.run(), name=f"{name}-relay"))
        for worker in workers:
            tasks.append(asyncio.create_task(worker(state), name=f"{name}-{worker.__name__}"))
        _set_startup_heap_aside()
        try:
            yield
        finally:
            await _stop(tasks)
            with contextlib.suppress(Exception):
                await nats_client.drain()
            try:
                async with asyncio.timeout(5):  # not wait_for: on 3.11 it can swallow a cancel
                    await reads.close()
            except TimeoutError:
                reads.terminate()  # a connection still out (a request cut short): close it hard
            await engine.dispose()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    install_error_handlers(app)
    for extra in middleware:
        app.add_middleware(extra.cls, *extra.args, **extra.kwargs)
    app.add_middleware(RequestMetrics, service=name)  # added last: the outermost
    app.include_router(_operations_router())
    for router in routers:
        app.include_router(router)
    return app


async def _stop(tasks: Sequence[asyncio.Task[None]]) -> None:
    """Cancel the service's workers and wait for them, a bounded time: a worker that does not
    stop (a cancel swallowed somewhere below it) is logged with where it is stuck and left
    behind, rather than holding the process up for ever."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, stuck = await asyncio.wait(tasks, timeout=STOP_SECONDS)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())
    for task in stuck:
        where = io.StringIO()
        task.print_stack(file=where)
        log.error(
            "%s did not stop within %s s:\n%s", task.get_name(), STOP_SECONDS, where.getvalue()
        )


@functools.cache
def _set_startup_heap_aside() -> None:
    """Once per process, when the first app has started: what exists then lives as long as
    the process (modules, models, validators, pools), so it is taken out of the garbage
    collector's sight and a full collection no longer walks it. Without this, one such
    collection took ~100 ms in a service (pydantic's and SQLAlchemy's objects are many and
    slow to traverse), and every request in flight shared the pause."""
    gc.collect()
    gc.freeze()


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Postgres and NATS are reachable (503 otherwise)")
    async def readyz(state: StateDep) -> JSONResponse:
        checks = {"postgres": await _postgres_ok(state), "nats": state.nats.is_connected}
        ready = all(checks.values())
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _postgres_ok(state: ServiceState) -> bool:
    try:
        async with asyncio.timeout(2), state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


class RequestMetrics:
    """Times every request by its route template (not its path, which would explode labels)."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            REQUEST_SECONDS.labels(self.service, scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )

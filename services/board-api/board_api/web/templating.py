"""The board's Jinja2 templates (autoescaped: every text on the board is someone's words) and
the few filters they share; static files are addressed by content hash so browsers cache them
for good and still pick up a new release at once."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.templating import Jinja2Templates

from board_api.web.timeline import understood
from recon.db.models import Store
from recon.domain.stages import STAGE_ORDER, BlockerKind
from recon.metrics.compute import stage_label

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_FILES = {path.name: path for path in STATIC.iterdir() if path.is_file()}

templates = Jinja2Templates(directory=HERE / "templates")


@cache
def static_version(name: str) -> str:
    return hashlib.sha256(STATIC_FILES[name].read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    return f"/static/board/{name}?v={static_version(name)}"


@pass_context
def ago(context: Context, moment: datetime | None) -> str:
    """'5 min ago', '3 h ago', '2 d ago', against the render's own clock."""
    if moment is None:
        return ""
    seconds = max(0.0, (context["at"] - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} d ago"


@pass_context
def local(context: Context, moment: datetime | None) -> str:
    """A moment in the store's own time zone, e.g. 'Tue 3 Jun 14:05'."""
    if moment is None:
        return ""
    zone = ZoneInfo(context["store"].timezone)
    return moment.astimezone(zone).strftime("%a %-d %b %H:%M")


def days(value: float) -> str:
    if value < 1:
        return f"{value * 24:.0f} h"
    return f"{value:.1f} d"


templates.env.filters.update(ago=ago, local=local, days=days)
templates.env.globals.update(
    static_url=static_url, understood=understood, blocker_kinds=[kind.value for kind in BlockerKind]
)


def render(
    request: Request,
    name: str,
    *,
    store: Store,
    at: datetime,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    context = {
        "store": store,
        "at": at,
        "stage_label": lambda stage: stage_label(store, stage),
        "all_stages": STAGE_ORDER,
        **values,
    }
    return templates.TemplateResponse(
        request,
        name,
        context,
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )

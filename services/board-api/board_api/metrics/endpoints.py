"""GET /api/v1/stores/{slug}/metrics and its two SVG charts: thin handlers over
recon.metrics, the one home of the metric definitions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response

from board_api.deps import StoreReader
from board_api.metrics import charts
from recon.metrics import MAX_WINDOW_DAYS, StoreMetrics, compute_store_metrics
from recon.service.deps import SessionDep

router = APIRouter(prefix="/api/v1/stores/{slug}/metrics", tags=["metrics"])

WindowDays = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_WINDOW_DAYS,
        description="The window: the store's last N calendar days, today included.",
    ),
]

SVG = "image/svg+xml"
# Figures move with every change; a short private cache spares a wall TV re-polling them.
CHART_HEADERS = {"Cache-Control": "private, max-age=60"}


@router.get("", summary="The store's recon metrics over the last `days` days")
async def get_metrics(
    store: StoreReader, session: SessionDep, days: WindowDays = 30
) -> StoreMetrics:
    return await compute_store_metrics(session, store=store, days=days)


class Chart(StrEnum):
    DWELL = "dwell"
    DAYS_TO_FRONTLINE = "days-to-frontline"


def _draw(chart: Chart, metrics: StoreMetrics, days: int) -> str:
    if chart is Chart.DWELL:
        return charts.dwell_chart(metrics.dwell, days=days)
    return charts.frontline_trend_chart(metrics.days_to_frontline, days=days)


@router.get(
    "/charts/{chart}.svg",
    summary="A metrics chart as SVG: `dwell` (days per stage) or `days-to-frontline` (trend)",
    response_class=Response,
    responses={200: {"content": {SVG: {}}}},
)
async def get_chart(
    chart: Chart, store: StoreReader, session: SessionDep, days: WindowDays = 30
) -> Response:
    metrics = await compute_store_metrics(session, store=store, days=days)
    return Response(_draw(chart, metrics, days), media_type=SVG, headers=CHART_HEADERS)

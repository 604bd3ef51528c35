"""GET /api/v1/stores/{slug}/metrics and its two SVG charts: thin handlers over
recon.metrics, the one home of the metric definitions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from board_api.metrics import charts
from board_api.metrics.access import ReadableStoreDep
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
    store: ReadableStoreDep, session: SessionDep, days: WindowDays = 30
) -> StoreMetrics:
    return await compute_store_metrics(session, store=store, days=days)


@router.get(
    "/charts/dwell.svg",
    summary="Average days per stage, bottleneck highlighted (SVG)",
    response_class=Response,
    responses={200: {"content": {SVG: {}}}},
)
async def dwell_chart(
    store: ReadableStoreDep, session: SessionDep, days: WindowDays = 30
) -> Response:
    metrics = await compute_store_metrics(session, store=store, days=days)
    svg = charts.dwell_chart(metrics.dwell, days=days)
    return Response(svg, media_type=SVG, headers=CHART_HEADERS)


@router.get(
    "/charts/days-to-frontline.svg",
    summary="Daily average days to frontline (SVG)",
    response_class=Response,
    responses={200: {"content": {SVG: {}}}},
)
async def days_to_frontline_chart(
    store: ReadableStoreDep, session: SessionDep, days: WindowDays = 30
) -> Response:
    metrics = await compute_store_metrics(session, store=store, days=days)
    svg = charts.frontline_trend_chart(metrics.days_to_frontline, days=days)
    return Response(svg, media_type=SVG, headers=CHART_HEADERS)

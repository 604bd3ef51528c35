"""The metrics charts as hand-built SVG: dwell per stage (bars) and the days-to-frontline trend
(line). Pure functions of the computed metrics; every text is escaped (stage labels are the
store's own words). A fixed viewBox with width 100% scales the same drawing to a phone or a TV.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from recon.metrics.schemas import DaysToFrontline, Dwell

WIDTH = 640
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#212529"
MUTED = "#868e96"
GRID = "#dee2e6"
BAR = "#1c7ed6"
BOTTLENECK = "#e8590c"
TARGET = "#212529"
LINE = "#1c7ed6"
LABEL_CHARS = 18


def dwell_chart(dwell: Dwell, *, days: int) -> str:
    """Horizontal bars of the average days in each recon stage, the bottleneck in orange, with
    a dashed tick at each stage's target."""
    row_height, top, right_margin = 52, 64, 80
    labels = {s.stage: _shorten(s.label, LABEL_CHARS) for s in dwell.stages}
    label_width = min(
        260, 24 + max((_text_width(label, 20) for label in labels.values()), default=0)
    )
    height = top + row_height * len(dwell.stages) + 84
    plot_left, plot_right, plot_bottom = label_width, WIDTH - right_margin, height - 84
    largest = max(
        [s.average_days or 0 for s in dwell.stages] + [s.target_days or 0 for s in dwell.stages]
    )
    scale_max, ticks = _axis(largest)

    def x(value: float) -> float:
        return plot_left + (plot_right - plot_left) * value / scale_max

    parts = [_heading(f"Average days in each stage — last {_days(days)}")]
    for tick in ticks:
        parts.append(_line(x(tick), top - 8, x(tick), plot_bottom + 4, GRID))
        parts.append(_text(x(tick), plot_bottom + 26, _number(tick), size=17, anchor="middle"))
    for index, stage in enumerate(dwell.stages):
        y = top + index * row_height
        middle = y + row_height / 2
        bottleneck = stage.stage == dwell.bottleneck_stage
        parts.append(
            _text(
                plot_left - 12,
                middle + 7,
                labels[stage.stage],
                size=20,
                anchor="end",
                weight=bottleneck,
                title=stage.label if labels[stage.stage] != stage.label else None,
            )
        )
        bar_end = plot_left
        target_x = x(stage.target_days) if stage.target_days is not None else None
        if stage.average_days is None:
            parts.append(_text(plot_left + 8, middle + 6, "no moves", size=17, fill=MUTED))
        else:
            bar_end = plot_left + max(x(stage.average_days) - plot_left, 2)
            css = "bar bottleneck" if bottleneck else "bar"
            tooltip = (
                f"{stage.label}: {stage.average_days:.2f} days on average over "
                f"{stage.stays} {'move' if stage.stays == 1 else 'moves'}"
            )
            parts.append(
                f"<rect class={quoteattr(css)} data-stage={quoteattr(stage.stage)} "
                f'x="{plot_left}" y="{y + 10}" width="{bar_end - plot_left:.1f}" '
                f'height="{row_height - 20}" rx="4" fill="{BOTTLENECK if bottleneck else BAR}">'
                f"<title>{escape(tooltip)}</title></rect>"
            )
        if target_x is not None:
            parts.append(
                f'<line class="target" data-stage={quoteattr(stage.stage)} x1="{target_x:.1f}" '
                f'y1="{y + 4}" x2="{target_x:.1f}" y2="{y + row_height - 4}" stroke="{TARGET}" '
                f'stroke-width="3" stroke-dasharray="4 3"><title>'
                f"{escape(f'{stage.label} target: {stage.target_days:g} days')}</title></line>"
            )
        if stage.average_days is not None:
            value = f"{stage.average_days:.1f} d"
            value_x = bar_end + 8
            # Beside the bar, unless the target tick would cut through it: then past the tick.
            if target_x is not None and value_x - 6 <= target_x <= value_x + _text_width(value, 18):
                value_x = target_x + 8
            parts.append(_text(value_x, middle + 6, value, size=18, weight=bottleneck))
    legend_y = height - 22
    parts.append(
        f'<rect x="16" y="{legend_y - 15}" width="18" height="18" rx="3" fill="{BOTTLENECK}"/>'
    )
    parts.append(_text(42, legend_y, "bottleneck", size=17))
    parts.append(
        f'<line x1="160" y1="{legend_y - 17}" x2="160" y2="{legend_y + 5}" stroke="{TARGET}" '
        f'stroke-width="3" stroke-dasharray="4 3"/>'
    )
    parts.append(_text(172, legend_y, "target", size=17))
    parts.append(_text(WIDTH - 16, legend_y, "days", size=17, anchor="end", fill=MUTED))
    description = "; ".join(
        f"{s.label} {s.average_days:.1f} days" if s.average_days is not None else f"{s.label} none"
        for s in dwell.stages
    )
    if dwell.bottleneck_stage is not None:
        description += f"; bottleneck: {labels.get(dwell.bottleneck_stage, dwell.bottleneck_stage)}"
    return _svg(height, "Average days in each stage", description, parts)


def frontline_trend_chart(trend: DaysToFrontline, *, days: int) -> str:
    """The daily average days from received to frontline, one point per day with arrivals,
    with the window's average as a dashed line."""
    height, top, left, right, bottom = 420, 96, 56, 24, 56
    plot_bottom, plot_right = height - bottom, WIDTH - right
    points = [day for day in trend.trend if day.average_days_to_frontline is not None]
    largest = max([day.average_days_to_frontline or 0 for day in points], default=0)
    scale_max, ticks = _axis(largest)
    count = len(trend.trend)

    def x(index: int) -> float:
        return left + (plot_right - left) * (index + 0.5) / max(count, 1)

    def y(value: float) -> float:
        return plot_bottom - (plot_bottom - top) * value / scale_max

    parts = [_heading(f"Days to frontline — last {_days(days)}")]
    parts.append(
        _text(
            16,
            68,
            f"{trend.units_reached_frontline} "
            f"{'car' if trend.units_reached_frontline == 1 else 'cars'} · "
            f"average {_maybe(trend.average_days)} · median {_maybe(trend.median_days)} · "
            f"p90 {_maybe(trend.p90_days)} days",
            size=18,
            fill=MUTED,
        )
    )
    if trend.average_days is not None:
        parts.append(_text(WIDTH - 16, 68, "– – average", size=18, anchor="end", fill=BOTTLENECK))
    for tick in ticks:
        parts.append(_line(left, y(tick), plot_right, y(tick), GRID))
        parts.append(_text(left - 10, y(tick) + 6, _number(tick), size=17, anchor="end"))
    for index in _label_indexes(count):
        label = _short_date(trend.trend[index].date)
        parts.append(_text(x(index), height - 20, label, size=17, anchor="middle"))
    if not points:
        parts.append(
            _text(
                WIDTH / 2,
                (top + plot_bottom) / 2,
                "No car reached frontline in this window",
                size=20,
                anchor="middle",
                fill=MUTED,
            )
        )
    else:
        if trend.average_days is not None:
            average_y = y(trend.average_days)
            parts.append(
                f'<line class="average" x1="{left}" y1="{average_y:.1f}" x2="{plot_right}" '
                f'y2="{average_y:.1f}" stroke="{BOTTLENECK}" stroke-width="2" '
                f'stroke-dasharray="8 6"><title>average {trend.average_days:.2f} days</title>'
                f"</line>"
            )
        index_of = {day.date: index for index, day in enumerate(trend.trend)}
        coordinates = [
            (x(index_of[day.date]), y(day.average_days_to_frontline or 0)) for day in points
        ]
        polyline = " ".join(f"{px:.1f},{py:.1f}" for px, py in coordinates)
        parts.append(
            f'<polyline class="trend" fill="none" stroke="{LINE}" stroke-width="3" '
            f'stroke-linejoin="round" points="{polyline}"/>'
        )
        for day, (px, py) in zip(points, coordinates, strict=True):
            tooltip = (
                f"{_short_date(day.date)}: {day.average_days_to_frontline:.2f} days "
                f"({day.units_reached_frontline} "
                f"{'car' if day.units_reached_frontline == 1 else 'cars'})"
            )
            parts.append(
                f'<circle class="point" data-date="{day.date.isoformat()}" cx="{px:.1f}" '
                f'cy="{py:.1f}" r="6" fill="{LINE}"><title>{escape(tooltip)}</title></circle>'
            )
    description = (
        f"{trend.units_reached_frontline} cars reached frontline; "
        f"average {_maybe(trend.average_days)} days, median {_maybe(trend.median_days)}, "
        f"90th percentile {_maybe(trend.p90_days)}"
    )
    return _svg(height, "Days to frontline", description, parts)


# --- drawing helpers -----------------------------------------------------------------------


def _svg(height: int, title: str, description: str, parts: Iterable[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="chart-title chart-desc" '
        f"font-family={quoteattr(FONT)}>"
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(description)}</desc>'
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>' + "".join(parts) + "</svg>"
    )


def _heading(text: str) -> str:
    return _text(16, 36, text, size=22, weight=True)


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int,
    anchor: str = "start",
    fill: str = INK,
    weight: bool = False,
    title: str | None = None,
) -> str:
    bold = ' font-weight="600"' if weight else ""
    tooltip = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}"{bold}>{tooltip}{escape(text)}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
        f'stroke-width="1"/>'
    )


def _axis(largest: float, most_steps: int = 5) -> tuple[float, list[float]]:
    """A round axis from 0 covering `largest`: steps of 1, 2 or 5 × 10^k, at most
    `most_steps` of them."""
    if largest <= 0:
        return 1.0, [0.0, 0.5, 1.0]
    rough = largest / most_steps
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    steps = max(1, math.ceil(largest / step - 1e-9))
    return steps * step, [round(i * step, 10) for i in range(steps + 1)]


def _text_width(text: str, size: int) -> float:
    """A rough width for laying out labels (SVG text cannot be measured on the server)."""
    return len(text) * size * 0.68  # bold, wide fonts


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _label_indexes(count: int, most: int = 6) -> list[int]:
    if count <= most:
        return list(range(count))
    step = math.ceil((count - 1) / (most - 1))
    indexes = list(range(0, count, step))
    if indexes[-1] != count - 1:
        if count - 1 - indexes[-1] < step / 2:
            indexes[-1] = count - 1
        else:
            indexes.append(count - 1)
    return indexes


def _short_date(day: date) -> str:
    return f"{day:%b} {day.day}"


def _number(value: float) -> str:
    return f"{value:g}"


def _days(days: int) -> str:
    return "day" if days == 1 else f"{days} days"


def _maybe(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"

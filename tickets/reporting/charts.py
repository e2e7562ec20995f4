"""Server-side SVG charts: geometry computed here, drawn by templates (no JavaScript, CSP-safe)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    value: float
    label: str
    series: int = 0


def bar_chart(
    labels: list[str], series: list[list[float]], *, width: int = 640, height: int = 200, pad: int = 28
) -> dict:
    """Grouped bars: one group per label, one bar per series. Returns the bars, axis ticks and size."""
    top = max([v for s in series for v in s if v is not None] or [0]) or 1
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    n = max(len(labels), 1)
    group_w = inner_w / n
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    bars = []
    for i, label in enumerate(labels):
        for k, values in enumerate(series):
            v = values[i] or 0
            h = inner_h * v / top
            bars.append(
                Bar(
                    x=round(pad + i * group_w + group_w * 0.1 + k * bar_w, 1),
                    y=round(pad + inner_h - h, 1),
                    w=round(bar_w, 1),
                    h=round(h, 1),
                    value=v,
                    label=label,
                    series=k,
                )
            )
    step = max(1, n // 12)  # at most about twelve axis labels
    ticks = [
        {"x": round(pad + i * group_w + group_w / 2, 1), "label": label}
        for i, label in enumerate(labels)
        if i % step == 0
    ]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "ticks": ticks,
        "top": top,
        "base_y": pad + inner_h,
        "pad": pad,
        "axis_end": width - pad,
    }


def line_points(values: list[float | None], *, width: int = 640, height: int = 200, pad: int = 28) -> dict:
    """A polyline of percentages (0–100) with the 90 % target line."""
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    n = max(len(values) - 1, 1)
    points = []
    dots = []
    for i, v in enumerate(values):
        if v is None:
            continue
        x, y = round(pad + inner_w * i / n, 1), round(pad + inner_h * (1 - v / 100), 1)
        points.append(f"{x},{y}")
        dots.append({"x": x, "y": y, "value": v})
    return {
        "width": width,
        "height": height,
        "points": " ".join(points),
        "dots": dots,
        "target_y": round(pad + inner_h * 0.1, 1),
        "pad": pad,
        "axis_end": width - pad,
        "base_y": pad + inner_h,
    }

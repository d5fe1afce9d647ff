"""The LKj's charts as a short list of drawing operations, laid out once and drawn twice: as reportlab graphics
in the PDF and as a PNG (Pillow) in the DOCX, so both show the same bars, lines, axes and labels.

Coordinates are points with the origin at the bottom left, as in reportlab.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache

PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a50021", "#3b3838",
           "#00808b", "#ff6f61"]
GRID = "#d0d0d0"
AXIS = "#333333"
TEXT = "#222222"
REFERENCE = "#a50021"


@dataclass
class Figure:
    """One chart: bars per category (``kind="bar"``) or a line per series over the categories (``"line"``)."""

    caption: str
    kind: str
    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    y_label: str = "Capaian (%)"
    reference: float | None = 100.0  # a dashed line at the target (100%)
    number: int = 0
    note: str = ""  # printed under the chart (e.g. which bars are cut off)
    value_labels: list[str] = field(default_factory=list)  # bar: the figure printed above each bar


# An operation: ("rect", x, y, w, h, fill) | ("line", x1, y1, x2, y2, color, width, dashed)
# | ("text", x, y, text, size, anchor "start"/"middle"/"end", color, bold) | ("poly", [(x, y)...], color, width)
# | ("dot", x, y, r, color)
Op = tuple


def _nice(value: float) -> tuple[float, float]:
    """An axis end at or above ``value`` and its tick step (at most six ticks)."""
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step * 6:
            return max(step, -(-value // step) * step), step
    return value, value / 5


def layout(fig: Figure, width: float = 430.0, height: float = 220.0) -> list[Op]:
    """The chart's operations inside ``width`` x ``height`` points."""
    ops: list[Op] = []
    left, right, bottom, top = 38.0, 8.0, 34.0, 14.0
    legend_rows = 0
    if fig.kind == "line" and fig.series:
        per_row = max(1, int((width - left) // 70))
        legend_rows = -(-len(fig.series) // per_row)
        bottom += 12 * legend_rows
    plot_w, plot_h = width - left - right, height - bottom - top
    values = [v for _, vs in fig.series for v in vs if v is not None]
    shown_max = max(values + [fig.reference or 0, 10.0])
    cap = 200.0  # elements.CHART_CAP: an implausible capaian does not flatten every other bar
    y_max, tick = _nice(min(shown_max, cap) * 1.08)
    y_min = min(0.0, min(values + [0.0]))
    if y_min < 0:
        y_min = (y_min // tick) * tick  # the multiple of the tick at or below the lowest value

    def y_of(v: float) -> float:
        v = max(y_min, min(v, y_max))
        return bottom + (v - y_min) / (y_max - y_min) * plot_h

    steps = int(round((y_max - y_min) / tick))
    for i in range(steps + 1):
        v = y_min + tick * i
        y = y_of(v)
        ops.append(("line", left, y, left + plot_w, y, GRID, 0.5, False))
        ops.append(("text", left - 3, y - 2.5, f"{v:.0f}", 7, "end", TEXT, False))
    ops.append(("line", left, bottom, left, bottom + plot_h, AXIS, 0.8, False))
    ops.append(("line", left, y_of(0), left + plot_w, y_of(0), AXIS, 0.8, False))
    ops.append(("text", 4, bottom + plot_h + 4, fig.y_label, 7, "start", TEXT, True))
    n = max(1, len(fig.categories))
    slot = plot_w / n
    label_size = 7 if slot >= 26 else 6
    for i, label in enumerate(fig.categories):
        ops.append(("text", left + slot * (i + 0.5), bottom - 10, label, label_size, "middle", TEXT, False))
    if fig.kind == "bar":
        values_ = fig.series[0][1] if fig.series else []
        bar_w = min(slot * 0.6, 34)
        for i, v in enumerate(values_):
            if v is None:
                ops.append(("text", left + slot * (i + 0.5), y_of(0) + 3, "–", 7, "middle", TEXT, False))
                continue
            x = left + slot * (i + 0.5) - bar_w / 2
            y0, y1 = y_of(0), y_of(v)
            ops.append(("rect", x, min(y0, y1), bar_w, abs(y1 - y0), PALETTE[0] if v >= (fig.reference or 0)
                        else PALETTE[1]))
            label = fig.value_labels[i] if i < len(fig.value_labels) else f"{v:.2f}"
            ops.append(("text", x + bar_w / 2, max(y0, y1) + 2.5, label, 6.5, "middle", TEXT, v > y_max))
    else:
        for s_index, (_, vs) in enumerate(fig.series):
            color = PALETTE[s_index % len(PALETTE)]
            run: list[tuple[float, float]] = []
            for i, v in enumerate(vs):
                if v is None:
                    if len(run) > 1:
                        ops.append(("poly", run, color, 1.4))
                    run = []
                    continue
                point = (left + slot * (i + 0.5), y_of(v))
                run.append(point)
                ops.append(("dot", point[0], point[1], 1.8, color))
            if len(run) > 1:
                ops.append(("poly", run, color, 1.4))
        per_row = max(1, int((width - left) // 70))
        for s_index, (name, _) in enumerate(fig.series):
            row, col = divmod(s_index, per_row)
            x = left + col * 70
            y = 6 + (legend_rows - 1 - row) * 12
            color = PALETTE[s_index % len(PALETTE)]
            ops.append(("line", x, y + 2.5, x + 14, y + 2.5, color, 2, False))
            ops.append(("text", x + 17, y, name, 7, "start", TEXT, False))
    if fig.reference is not None and y_min <= fig.reference <= y_max:
        y = y_of(fig.reference)
        ops.append(("line", left, y, left + plot_w, y, REFERENCE, 0.9, True))
        ops.append(("text", left + plot_w, y + 2, f"target {fig.reference:.0f}%", 6.5, "end", REFERENCE, False))
    return ops


def to_reportlab(fig: Figure, width: float, height: float):
    """A reportlab ``Drawing`` of the chart (vector, in the PDF)."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
    from reportlab.lib import colors

    from silabu.core import pdf

    f = pdf.fonts()
    drawing = Drawing(width, height)
    for op in layout(fig, width, height):
        kind = op[0]
        if kind == "rect":
            _, x, y, w, h, fill = op
            drawing.add(Rect(x, y, w, h, fillColor=colors.HexColor(fill), strokeColor=None))
        elif kind == "line":
            _, x1, y1, x2, y2, color, w, dashed = op
            drawing.add(Line(x1, y1, x2, y2, strokeColor=colors.HexColor(color), strokeWidth=w,
                             strokeDashArray=[3, 2] if dashed else None))
        elif kind == "poly":
            _, points, color, w = op
            drawing.add(PolyLine([c for p in points for c in p], strokeColor=colors.HexColor(color), strokeWidth=w))
        elif kind == "dot":
            _, x, y, r, color = op
            drawing.add(Circle(x, y, r, fillColor=colors.HexColor(color), strokeColor=None))
        elif kind == "text":
            _, x, y, text, size, anchor, color, bold = op
            drawing.add(String(x, y, text, fontName=f.bold if bold else f.regular, fontSize=size,
                               fillColor=colors.HexColor(color), textAnchor=anchor))
    return drawing


def _font_file(bold: bool) -> str | None:
    from silabu.core.pdf import DEJAVU, FONT_DIRS

    for folder in FONT_DIRS:
        path = folder / DEJAVU["bold" if bold else "regular"]
        if path.is_file():
            return str(path)
    from pathlib import Path

    import reportlab

    from silabu.core.pdf import VERA

    vera = Path(reportlab.__file__).parent / "fonts" / VERA["bold" if bold else "regular"]
    return str(vera) if vera.is_file() else None


@lru_cache(maxsize=64)
def _pil_font(size: int, bold: bool):
    from PIL import ImageFont

    path = _font_file(bold)
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def to_png(fig: Figure, width: float, height: float, scale: float = 2.5) -> bytes:
    """The same chart as a PNG (Pillow), ``scale`` pixels per point, for the DOCX."""
    from PIL import Image, ImageDraw

    w_px, h_px = int(width * scale), int(height * scale)
    image = Image.new("RGB", (w_px, h_px), "white")
    draw = ImageDraw.Draw(image)

    def px(x: float, y: float) -> tuple[float, float]:
        return x * scale, h_px - y * scale

    for op in layout(fig, width, height):
        kind = op[0]
        if kind == "rect":
            _, x, y, w, h, fill = op
            x0, y0 = px(x, y + h)
            x1, y1 = px(x + w, y)
            draw.rectangle([x0, y0, x1, y1], fill=fill)
        elif kind == "line":
            _, x1, y1, x2, y2, color, w, dashed = op
            a, b = px(x1, y1), px(x2, y2)
            if dashed:
                length = ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5 or 1
                dash = 3 * scale
                steps = int(length // (dash * 5 / 3)) + 1
                for i in range(steps):
                    t0, t1 = i * dash * 5 / 3 / length, min(1, (i * dash * 5 / 3 + dash) / length)
                    draw.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                               (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)], fill=color,
                              width=max(1, int(w * scale)))
            else:
                draw.line([a, b], fill=color, width=max(1, int(w * scale)))
        elif kind == "poly":
            _, points, color, w = op
            draw.line([px(x, y) for x, y in points], fill=color, width=max(1, int(w * scale)), joint="curve")
        elif kind == "dot":
            _, x, y, r, color = op
            cx, cy = px(x, y)
            draw.ellipse([cx - r * scale, cy - r * scale, cx + r * scale, cy + r * scale], fill=color)
        elif kind == "text":
            _, x, y, text, size, anchor, color, bold = op
            font = _pil_font(int(size * scale), bold)
            cx, cy = px(x, y)
            draw.text((cx, cy), text, fill=color, font=font,
                      anchor={"start": "ls", "middle": "ms", "end": "rs"}[anchor])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()

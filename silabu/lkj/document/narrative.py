"""The team's narrative text: paragraphs, **bold**, "- " bullets; parsed once for the page and both writers."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup


@dataclass
class Block:
    kind: str  # "para" | "bullet"
    runs: list[tuple[str, bool]]  # (text, bold)

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.runs)


def _runs(text: str) -> list[tuple[str, bool]]:
    parts = text.split("**")
    if len(parts) % 2 == 0:  # an unmatched ** stays as typed
        parts = parts[:-2] + [parts[-2] + "**" + parts[-1]]
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


def parse_narrative(text: str | None) -> list[Block]:
    """Blank lines separate paragraphs; lines starting with '- ' are bullets; **text** is bold."""
    blocks: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            blocks.append(Block("para", _runs(" ".join(buffer))))
            buffer.clear()

    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("- ") or line == "-":
            flush()
            blocks.append(Block("bullet", _runs(line[2:].strip())))
        else:
            buffer.append(line)
    flush()
    return [b for b in blocks if b.runs or b.kind == "para"]


def narrative_html(text: str | None) -> Markup:
    """The same simple formatting as HTML for the pages (escaped; no user markup passes through)."""
    out: list[str] = []
    in_list = False
    for block in parse_narrative(text):
        inner = "".join(f"<strong>{Markup.escape(t)}</strong>" if bold else str(Markup.escape(t))
                        for t, bold in block.runs)
        if block.kind == "bullet":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inner}</li>")
        else:
            if in_list:
                out.append("</ul>")
                in_list = False
            out.append(f"<p>{inner}</p>")
    if in_list:
        out.append("</ul>")
    return Markup("".join(out))

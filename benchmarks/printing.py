"""Printing cost: first PDF in a process (font parsed), then warm PDFs and receipt text.

Prints figures; asserts nothing. Run: ``.venv/bin/python benchmarks/printing.py``.
"""

from __future__ import annotations

import statistics
import time

from deskapp.services.printing import (
    CodeBlock,
    KeyValues,
    Paragraph,
    PrintDocument,
    Signatures,
    render_pdf,
    render_text,
)

RUNS = 10

TICKET = PrintDocument(
    title="寄存取件凭条",
    subtitle="阳光花园物业服务中心",
    blocks=[
        KeyValues(
            [("凭条号", "S7K3MQ"), ("寄存人", "王喆（3-2-1201 业主）"), ("物品", "行李箱 ×2")]
        ),
        CodeBlock("S7K3MQ", label="取件码"),
        Paragraph("请凭本凭条取件。寄存超过 30 天未取的物品按规定处理。"),
        Signatures(["寄存人签字"]),
    ],
    printed_at="2026-11-23 10:00",
    printed_by="前台 刘玥",
)


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    first = timed(lambda: render_pdf(TICKET, paper="receipt80"))
    receipt = [timed(lambda: render_pdf(TICKET, paper="receipt80")) for _ in range(RUNS)]
    a4 = [timed(lambda: render_pdf(TICKET, paper="a4")) for _ in range(RUNS)]
    text = [timed(lambda: render_text(TICKET, encoding="gb18030")) for _ in range(RUNS)]
    size = len(render_pdf(TICKET, paper="receipt80"))
    rows = [
        ("first receipt PDF (font load included)", first * 1000, "ms"),
        (f"receipt80 PDF, median of {RUNS}", statistics.median(receipt) * 1000, "ms"),
        (f"A4 PDF, median of {RUNS}", statistics.median(a4) * 1000, "ms"),
        (f"receipt text (gb18030), median of {RUNS}", statistics.median(text) * 1000, "ms"),
        ("receipt80 PDF size", size / 1024, "KB"),
    ]
    for label, value, unit in rows:
        print(f"{label:<42} {value:8.1f} {unit}")


if __name__ == "__main__":
    main()

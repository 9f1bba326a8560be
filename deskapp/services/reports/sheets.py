"""A report as the desk shows it: titled sections of labelled rows, in the reader's language.

The screen (bar charts in the terminal), the CSV file and the printed PDF all lay out
the same ``Sheet``, so the three never say different things. A row's ``amount`` is
what its bar measures (a count, or a rate in per cent); rows without one are plain
figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from deskapp.errors import InvalidInput
from deskapp.formatting import format_duration
from deskapp.i18n import _
from deskapp.services.printing.document import Bars, Heading, KeyValues, PrintDocument
from deskapp.services.reports.figures import Compliance, Durations
from deskapp.services.reports.monthly import (
    DEFERRED,
    REPLY_GENERAL,
    REPLY_MAJOR,
    MonthlyReport,
    Ranked,
)
from deskapp.services.reports.quarterly import COMPLAINTS, WORK, QuarterlyReport, Repeat
from deskapp.services.requests import labels


@dataclass(frozen=True)
class Row:
    label: str
    shown: str
    amount: float | None = None


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)
    scale: float | None = None
    """What a full bar stands for: 100 for a section of per cents, else its largest."""

    @property
    def charted(self) -> bool:
        return any(row.amount is not None for row in self.rows)


@dataclass(frozen=True)
class Sheet:
    title: str
    period: str
    sections: list[Section]


def percent(value: float | None) -> str:
    """``75 %`` (rounded to a whole per cent), or ``—`` when nothing was counted."""
    return "—" if value is None else _("{value} %").format(value=round(value * 100))


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    days, rest = divmod(value, timedelta(days=1))
    if days:
        return _("{days} d {hours} h").format(days=days, hours=rest // timedelta(hours=1))
    return format_duration(rest)


def _counts(title: str, counts: dict[str, int], mapping: dict[str, str]) -> Section:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return Section(title, [Row(labels.label(mapping, value) or _("not classified"),
                               str(count), count) for value, count in ordered])


def _compliance(label: str, figures: Compliance) -> Row:
    shown = _("{on_time} of {counted} on time ({rate}); {pending} still running").format(
        on_time=figures.on_time, counted=figures.counted, rate=percent(figures.rate),
        pending=figures.pending)
    return Row(label, shown, None if figures.rate is None else round(figures.rate * 100))


def _durations(label: str, figures: Durations) -> list[Row]:
    return [Row(_("{what}: median").format(what=label), _duration(figures.median)),
            Row(_("{what}: 90th percentile").format(what=label), _duration(figures.p90)),
            Row(_("{what}: requests measured").format(what=label), str(figures.count))]


def _ranked(title: str, ranked: list[Ranked]) -> Section:
    return Section(title, [Row(entry.label, _("{complaints} complaint(s), {late} late").format(
        complaints=entry.complaints, late=entry.late), entry.complaints) for entry in ranked])


def monthly_sheet(report: MonthlyReport) -> Sheet:
    compliance = report.compliance
    return Sheet(
        title=_("Monthly complaint summary"),
        period=report.period.label(),
        sections=[
            Section(_("Overview"), [
                Row(_("Requests received"), str(report.requests)),
                Row(_("Complaints"), str(report.complaints)),
                Row(_("Complaints not resolved yet"), str(report.unresolved)),
            ]),
            _counts(_("Requests by kind"), report.by_kind, labels.KIND_LABELS),
            _counts(_("Complaints by nature"), report.by_nature, labels.NATURE_LABELS),
            _counts(_("Complaints by subject"), report.by_subject, labels.SUBJECT_LABELS),
            _counts(_("Complaints by severity"), report.by_severity, labels.SEVERITY_LABELS),
            _counts(_("Complaints by channel"), report.by_channel, labels.CHANNEL_LABELS),
            Section(_("Deadlines met (per cent)"), scale=100, rows=[
                _compliance(_("Reply within 24 h"), compliance[REPLY_GENERAL]),
                _compliance(_("Reply within 48 h (major)"), compliance[REPLY_MAJOR]),
                _compliance(_("Answer within 3 working days"), compliance[DEFERRED]),
            ]),
            Section(_("Time taken"), [
                *_durations(_("First reply"), report.first_reply),
                *_durations(_("Resolution"), report.resolution),
            ]),
            _ranked(_("Units with the most complaints"), report.worst_units),
            _ranked(_("Subjects with the most complaints"), report.worst_subjects),
        ],
    )


def _repeats(title: str, repeats: list[Repeat]) -> Section:
    return Section(title, [Row(
        f"{repeat.unit} {repeat.subject}".strip(),
        _("{times} times: {numbers}").format(times=repeat.times,
                                             numbers=", ".join(repeat.numbers)),
        repeat.times) for repeat in repeats])


def quarterly_sheet(report: QuarterlyReport) -> Sheet:
    results = report.revisits.results
    return Sheet(
        title=_("Quarterly revisit analysis"),
        period=report.period.label(),
        sections=[
            Section(_("Overview"), [
                Row(_("Complaints received"), str(report.complaints)),
                Row(_("Repairs received"), str(report.repairs)),
                Row(_("Revisits made"), str(report.revisits.total)),
            ]),
            Section(_("Revisits by result"), [
                Row(labels.label(labels.REVISIT_RESULT_LABELS, result), str(count), count)
                for result, count in results.items()]),
            Section(_("Satisfaction rate (satisfied and basically satisfied)"), scale=100, rows=[
                Row(_("All revisits"), percent(report.revisits.satisfied_rate),
                    _amount(report.revisits.satisfied_rate)),
                Row(_("After complaints"), percent(report.by_group[COMPLAINTS].satisfied_rate),
                    _amount(report.by_group[COMPLAINTS].satisfied_rate)),
                Row(_("After repairs and other work"),
                    percent(report.by_group[WORK].satisfied_rate),
                    _amount(report.by_group[WORK].satisfied_rate)),
            ]),
            Section(_("Revisits on time"), scale=100, rows=[
                _compliance(_("Revisit deadlines"), report.on_time)]),
            _repeats(_("The same matter complained about twice or more"),
                     report.repeat_complaints),
            _repeats(_("The same repair three times or more"), report.repeat_repairs),
        ],
    )


def _amount(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100)


def csv_rows(sheet: Sheet) -> Iterator[list[str]]:
    """The sheet as CSV rows: section, what, figure (the header first)."""
    yield [_("Section"), _("What"), _("Figure")]
    for section in sheet.sections:
        if not section.rows:
            yield [section.title, _("none"), ""]
        for row in section.rows:
            yield [section.title, row.label, row.shown]


def print_document(sheet: Sheet, *, site: str, printed_at: str, printed_by: str
                   ) -> PrintDocument:
    """The sheet as a printed report: each charted section as bars, the rest as figures."""
    document = PrintDocument(title=f"{sheet.title} {sheet.period}", subtitle=site,
                             printed_at=printed_at, printed_by=printed_by)
    for section in sheet.sections:
        document.blocks.append(Heading(section.title))
        if not section.rows:
            document.blocks.append(KeyValues([(_("none"), "")]))
        elif section.charted:
            document.blocks.append(Bars([(row.label, row.amount or 0, row.shown)
                                         for row in section.rows], scale=section.scale))
        else:
            document.blocks.append(KeyValues([(row.label, row.shown) for row in section.rows]))
    return document


def write_sheet(sheet: Sheet, *, file_format: str, out_file: Path, site: str,
                printed_at: str, printed_by: str) -> Path:
    """Write the sheet as CSV (UTF-8 with a byte-order mark, so that Excel shows the
    Chinese; formula-like cells neutralised as in every export) or as a PDF. The file
    appears whole or not at all."""
    from deskapp.services.export import _cannot_write, _write_atomically, safe_cell

    if file_format == "pdf":
        from deskapp.services.printing import render_pdf

        content = render_pdf(print_document(sheet, site=site, printed_at=printed_at,
                                            printed_by=printed_by))
    elif file_format == "csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerows(
            [safe_cell(cell) for cell in row] for row in csv_rows(sheet))
        content = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    else:
        raise InvalidInput(_("{value} is not a format the report writes: use csv or "
                             "pdf.").format(value=file_format), field="format")
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(out_file, content)
    except OSError as error:
        raise _cannot_write(out_file, error) from error
    return out_file

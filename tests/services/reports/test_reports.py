"""The reports' figures against a small dataset computed by hand, at their boundaries:
the reply exactly 24 h after receipt, the last minute of the month, the empty period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.formatting import desk_zone
from deskapp.models import Operator
from deskapp.services import reports
from deskapp.services.acting import Acting
from deskapp.services.reports import monthly, periods, quarterly
from deskapp.services.reports.figures import nearest_rank
from deskapp.services.reports.sheets import csv_rows, monthly_sheet, write_sheet
from deskapp.services.requests import lifecycle, revisits
from tests.support import Staff, make_staff, make_unit

BEIJING = timedelta(hours=8)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Beijing wall-clock time in 2026, as the aware UTC instant the services take."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - BEIJING


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk, "3-2-1201")
    make_unit(desk, "1-1-101")
    return make_staff(desk)


def _complaint(desk: Desk, actor: Operator, at: datetime, *, unit: str = "3-2-1201",
               subject: str = "楼上漏水", kind: str = "complaint",
               complaint_subject: str | None = "equipment") -> int:
    with transaction(desk.engine) as session:
        created = lifecycle.create_request(
            session, acting=Acting(desk.site_id, actor), settings=desk.settings, now=at,
            kind=kind, summary=f"{subject}，请处理", subject=subject, unit_code=unit,
            complaint_subject=complaint_subject if kind == "complaint" else None,
            nature="valid" if kind == "complaint" else None, channel="phone")
        assert created.id is not None
        return created.id


def _answer(desk: Desk, actor: Operator, request_id: int, at: datetime) -> None:
    with transaction(desk.engine) as session:
        lifecycle.answer_resident(session, acting=Acting(desk.site_id, actor),
                                  request_id=request_id,
                                  now=at, text="已联系工程部，明天上门")


def _resolve(desk: Desk, actor: Operator, request_id: int, at: datetime) -> None:
    with transaction(desk.engine) as session:
        lifecycle.resolve(session, acting=Acting(desk.site_id, actor), request_id=request_id,
                          settings=desk.settings, now=at, result="已修好")


def _month(desk: Desk, now: datetime, number: int = 11) -> monthly.MonthlyReport:
    with reading(desk.engine) as session:
        return monthly.monthly_report(session, acting=Acting(desk.site_id),
                                      period=periods.month(2026, number),
                                      zone=desk_zone("Asia/Shanghai"), now=now)


def test_the_monthly_figures_are_the_ones_counted_by_hand(desk: Desk, staff: Staff) -> None:
    actor = staff.operator
    a = _complaint(desk, actor, local(23, 10))
    _answer(desk, actor, a, local(24, 10))  # exactly 24 h: on time
    _resolve(desk, actor, a, local(25, 10))  # resolved after 48 h
    b = _complaint(desk, actor, local(23, 10), unit="1-1-101", subject="电梯故障")
    _answer(desk, actor, b, local(24, 10, 1))  # one minute past: late
    c = _complaint(desk, actor, local(23, 11))
    _resolve(desk, actor, c, local(23, 13))  # resolving answers too: 2 h, on time
    _complaint(desk, actor, local(23, 12), kind="repair", subject="换灯泡")
    _complaint(desk, actor, local(31, 23, 30, month=10))  # October, in Beijing
    f = _complaint(desk, actor, local(30, 23, 59))  # the month's last minute
    voided = _complaint(desk, actor, local(24, 9))
    with transaction(desk.engine) as session:
        lifecycle.void(session, acting=Acting(desk.site_id, actor), request_id=voided,
                       now=local(24, 9, 5),
                       reason="重复登记")
    report = _month(desk, now=local(5, 9, month=12))  # F's reply fell due on 1 December

    assert (report.requests, report.complaints, report.unresolved) == (5, 4, 2)
    assert report.by_kind == {"complaint": 4, "repair": 1}
    assert report.by_channel == {"phone": 4}
    reply = report.compliance[monthly.REPLY_GENERAL]
    assert (reply.on_time, reply.late, reply.pending) == (2, 2, 0)  # A, C on time; B, F late
    assert reply.rate == 0.5
    # First replies: C 2 h, A 24 h, B 24 h 1 min. Nearest rank: the median is the 2nd of 3.
    assert (report.first_reply.count, report.first_reply.median, report.first_reply.p90) == (
        3, timedelta(hours=24), timedelta(hours=24, minutes=1))
    # Resolutions: C 2 h, A 48 h: the median is the 1st of 2, the 90th the 2nd.
    assert (report.resolution.median, report.resolution.p90) == (
        timedelta(hours=2), timedelta(hours=48))
    assert [(u.label, u.complaints, u.late) for u in report.worst_units] == [
        ("3-2-1201", 3, 1), ("1-1-101", 1, 1)]
    assert [(s.label, s.complaints) for s in report.worst_subjects] == [
        ("楼上漏水", 3), ("电梯故障", 1)]
    assert f  # received at 23:59 on the 30th: counted in November


def test_an_empty_month_is_a_report_of_zeros_and_dashes(desk: Desk, tmp_path: Path) -> None:
    report = _month(desk, now=local(5, 9, month=12))
    assert (report.requests, report.complaints) == (0, 0)
    assert report.first_reply.median is None and report.compliance["reply"].rate is None
    sheet = monthly_sheet(report)
    rows = list(csv_rows(sheet))
    assert ["Deadlines met (per cent)", "Reply within 24 h",
            "0 of 0 on time (—); 0 still running"] in rows
    assert ["Units with the most complaints", "none", ""] in rows
    written = write_sheet(sheet, file_format="pdf", out_file=tmp_path / "r.pdf", site="锦绣花园",
                          printed_at="2026-12-01 09:00", printed_by="赵敏")
    assert written.read_bytes().startswith(b"%PDF")


def test_nearest_rank_percentiles_at_their_edges() -> None:
    hours = [timedelta(hours=n) for n in (5, 1, 4, 2, 3)]
    assert nearest_rank([], 50) is None
    assert nearest_rank(hours[:1], 90) == timedelta(hours=5)
    assert nearest_rank(hours, 50) == timedelta(hours=3)  # rank ⌈2.5⌉ = 3
    assert nearest_rank(hours, 90) == timedelta(hours=5)  # rank ⌈4.5⌉ = 5
    assert nearest_rank(hours[:4], 50) == timedelta(hours=2)  # rank 2 of 4, not an average
    with pytest.raises(ValueError):
        nearest_rank(hours, 0)


def test_the_quarter_counts_repeats_and_satisfaction(desk: Desk, staff: Staff) -> None:
    actor = staff.operator
    first = _complaint(desk, actor, local(2, 10))
    _resolve(desk, actor, first, local(2, 12))
    second = _complaint(desk, actor, local(20, 10))  # the same unit, the same subject
    _resolve(desk, actor, second, local(20, 12))
    _complaint(desk, actor, local(21, 10), unit="1-1-101", subject="电梯故障")  # once only
    repairs = [_complaint(desk, actor, local(day, 9), kind="repair", subject="水龙头漏水")
               for day in (3, 10, 17)]
    _complaint(desk, actor, local(4, 9), kind="repair", subject="换灯泡")
    with transaction(desk.engine) as session:
        for request_id, result in ((first, "satisfied"), (second, "unsatisfied")):
            revisits.record_revisit(session, acting=Acting(desk.site_id, actor),
                                    request_id=request_id,
                                    result=result, settings=desk.settings,
                                    now=local(22, 15),
                                    remarks="还在漏" if result == "unsatisfied" else "")
    with reading(desk.engine) as session:
        report = quarterly.quarterly_report(session, acting=Acting(desk.site_id),
                                            period=periods.quarter(2026, 4),
                                            zone=desk_zone("Asia/Shanghai"), now=local(25, 9))
    assert (report.complaints, report.repairs) == (3, 4)
    # Twice complained about, and the unsatisfied revisit reopened the second: 3 times.
    assert [(r.unit, r.times, len(r.numbers)) for r in report.repeat_complaints] == [
        ("3-2-1201", 3, 2)]
    assert [(r.unit, r.subject, r.times, len(r.numbers)) for r in report.repeat_repairs] == [
        ("3-2-1201", "水龙头漏水", 3, 3)]
    assert report.revisits.results == {"satisfied": 1, "basically_satisfied": 0,
                                       "unsatisfied": 1}
    assert report.revisits.satisfied_rate == 0.5
    assert len(repairs) == 3


@pytest.mark.parametrize(("kind", "text"), [
    (periods.PeriodKind.MONTH, "2026-13"), (periods.PeriodKind.MONTH, "abc"),
    (periods.PeriodKind.QUARTER, "2026-Q5"), (periods.PeriodKind.QUARTER, "2026-11"),
])
def test_a_period_that_is_not_one_is_refused(kind: periods.PeriodKind, text: str) -> None:
    with pytest.raises(InvalidInput, match="write it as"):
        periods.parse_period(kind, text)


def test_the_last_complete_period_turns_at_local_midnight() -> None:
    zone = desk_zone("Asia/Shanghai")
    assert periods.last_complete(periods.PeriodKind.MONTH, local(1, 0, month=12), zone) == (
        periods.month(2026, 11))
    assert periods.last_complete(periods.PeriodKind.MONTH, local(30, 23, 59), zone) == (
        periods.month(2026, 10))
    assert periods.last_complete(periods.PeriodKind.QUARTER, local(1, 0, month=10), zone) == (
        periods.quarter(2026, 3))
    assert periods.month(2026, 12).shifted(1) == periods.month(2027, 1)


def test_the_sheet_is_the_same_whichever_way_it_is_asked_for(desk: Desk, staff: Staff) -> None:
    _complaint(desk, staff.operator, local(23, 10))
    with reading(desk.engine) as session:
        sheet = reports.report_sheet(session, acting=Acting(desk.site_id),
                                     period=periods.month(2026, 11),
                                     zone=desk_zone("Asia/Shanghai"), now=local(23, 12))
    assert sheet.title == "Monthly complaint summary" and sheet.period == "2026-11"
    assert sheet == monthly_sheet(_month(desk, now=local(23, 12)))


def test_a_bar_chart_prints_as_bars_against_its_scale() -> None:
    from deskapp.services.printing import render_pdf, render_text
    from deskapp.services.printing.document import Bars, PrintDocument

    chart = PrintDocument(title="月度投诉汇总", blocks=[
        Bars([("设备", 4, "4"), ("服务态度", 2, "2"), ("其他", 0, "0")]),
        Bars([("24 小时内答复", 50, "50 %")], scale=100),
    ])
    lines = render_text(chart, width=40).splitlines()
    bars = {line.split()[0]: line.count("#") for line in lines if line[:1] not in "=-"}
    assert abs(bars["设备"] - 2 * bars["服务态度"]) <= 1 and bars["服务态度"] > 0  # rounded
    assert bars["其他"] == 0
    half = next(line for line in lines if "50 %" in line).count("#")
    full_room = bars["设备"]  # the largest bar fills the room of its chart
    assert 0 < half < full_room
    assert render_pdf(chart).startswith(b"%PDF")

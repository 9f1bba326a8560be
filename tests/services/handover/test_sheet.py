"""The handover sheet: every part of the ledger on paper, a draft while open, Chinese in
the PDF with the font it carries, and the two files in the prints folder."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deskapp import i18n
from deskapp.db import reading
from deskapp.desk import Desk
from deskapp.errors import NotFound
from deskapp.services.acting import Acting
from deskapp.services.handover import handovers, sheet
from deskapp.services.printing import PrintDocument, render_pdf, render_text
from tests.services.handover.test_assembly import MID_MORNING
from tests.services.handover.test_handovers import (
    SETTINGS_ITEMS,
    ready_to_sign,
    run,
    sign_both,
    started,
)
from tests.services.handover.test_shifts import MINUTE
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401 (fixtures)

ZONE = ZoneInfo("Asia/Shanghai")
PRINTED = MID_MORNING + 5 * MINUTE

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils not installed (apt-get install --no-install-recommends poppler-utils)",
)


@pytest.fixture
def two_items(desk: Desk) -> Desk:
    """The desk of ``test_handovers``: its checklist is 对讲机=4 and 雨伞=6."""
    desk.settings = replace(desk.settings, public_items=SETTINGS_ITEMS)  # type: ignore[misc]
    return desk


def sealed_with_everything(desk: Desk, staff: Staff, homes: Homes) -> dict[str, Any]:
    """A sealed handover with a carried urgent item, a refused routine one, a count that
    differs with its explanation, and an addendum by the supervisor."""
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    radios = h["counts"][0]
    run(desk, handovers.count, handover_id=h["id"], count_id=radios.id, counted="3",
        now=MID_MORNING + MINUTE)
    run(desk, handovers.explain, handover_id=h["id"], count_id=radios.id,
        explanation="一台送修，工程部签收", actor=staff.operator, now=MID_MORNING + MINUTE)
    run(desk, handovers.take_item, handover_id=h["id"], item_id=h["own"].id, accept=False,
        reason="不了解此单，请主管另派", now=MID_MORNING + MINUTE)
    sign_both(desk, h)
    run(desk, handovers.add_addendum, handover_id=h["id"], actor=staff.supervisor,
        text="补记：对讲机一台充电中", now=MID_MORNING + 3 * MINUTE)
    return h


def document(desk: Desk, handover_id: int) -> PrintDocument:
    with reading(desk.engine) as session:
        return sheet.handover_document(session, acting=Acting(desk.site_id),
                                       handover_id=handover_id,
                                       settings=desk.settings, now=PRINTED, printed_by="王芳")


def text_of(desk: Desk, handover_id: int) -> str:
    return render_text(document(desk, handover_id), width=sheet.TEXT_WIDTH)


def seal_of(desk: Desk, handover_id: int) -> str:
    with reading(desk.engine) as session:
        return handovers.get_handover(session, acting=Acting(desk.site_id),
                                      handover_id=handover_id).seal_hash


def test_the_sealed_sheet_holds_every_part_of_the_handover(
    two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = two_items
    h = sealed_with_everything(desk, staff, homes)
    text = text_of(desk, h["id"])
    flat = " ".join(text.split())
    late, own = h["late"], h["own"]
    assert "Shift handover sheet" in text and "draft" not in text.lower()
    assert "Shift 2026-11-23 08:00 – 16:00" in flat
    assert "Outgoing operator 王芳, signed 2026-11-23 10:02" in flat
    assert "Incoming operator 刘洋, signed 2026-11-23 10:02" in flat
    assert "Sealed 2026-11-23 10:02" in flat
    # The carried items, urgent before routine, each with all it says.
    assert flat.index("Urgent (1)") < flat.index(late.reference) < flat.index("Routine (1)") \
        < flat.index(own.reference)
    for expected in ("1. Open requests", "Unit 3-2-1202", f"Reference {late.reference}",
                     "What 楼上漏水", "Open since 2026-11-23 10:00", "Deadline 2026-11-23 09:59",
                     "Next action 联系工程部上门", "Contingency 若业主再来电，先报主管",
                     "Incoming decision accepted 2026-11-23 10:01",
                     "Carried by a supervisor 赵敏: 工程部明早上门"):
        assert expected in flat, expected
    assert "Last step" in flat
    for expected in ("2. Open requests", "Unit 3-2-1201", "What 外墙渗水",
                     "Deadline 2026-11-26 10:00",
                     "Next action Follow up before the deadline, by 2026-11-26 10:00",
                     "refused 2026-11-23 10:01: 不了解此单，请主管另派"):
        assert expected in flat, expected
    # The public items counted against the checklist, with the explanation.
    assert re.search(r"对讲机\s+4\s+3\s+一台送修，工程部签收", text)
    assert re.search(r"雨伞\s+6\s+6", text)
    # The addendum with who and when, and the seal at the foot.
    assert re.search(r"2026-11-23 10:03\s+赵敏\s+补记：对讲机一台充电中", text)
    seal = seal_of(desk, h["id"])
    assert len(seal) == 64 and f"SHA-256 {seal}\n" in text  # on one line
    assert flat.index("Addenda") < flat.index(seal) < flat.index("Printed 2026-11-23 10:05 by 王芳")
    assert "The sheet matches its seal." in flat


def test_an_open_handover_prints_as_a_draft_with_the_signatures_missing(
    two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = two_items
    h = started(desk, staff, homes)
    doc = document(desk, h["id"])
    assert doc.title == "Shift handover sheet (draft)"
    flat = " ".join(render_text(doc, width=sheet.TEXT_WIDTH).split())
    assert "DRAFT: this handover is open and not sealed" in flat
    assert "Outgoing operator 王芳, not signed yet" in flat
    assert "Incoming operator not named yet" in flat
    assert "Incoming decision not taken yet" in flat
    assert re.search(r"对讲机 4 not counted", flat)
    assert "Sealed not yet" in flat and "SHA-256" not in flat
    # Named, one signature given: the other still reads "not signed yet".
    ready_to_sign(desk, staff, h)
    run(desk, handovers.sign, handover_id=h["id"], side="outgoing", login="wangfang",
        pin="1234", now=MID_MORNING + 2 * MINUTE, settings=desk.settings)
    flat = " ".join(text_of(desk, h["id"]).split())
    assert "Outgoing operator 王芳, signed 2026-11-23 10:02" in flat
    assert "Incoming operator 刘洋, not signed yet" in flat
    assert "(draft)" in flat


def test_a_sheet_of_a_handover_changed_behind_its_seal_says_so(
    two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    from sqlalchemy import update

    from deskapp.db import transaction
    from deskapp.models.handover import HandoverCount

    desk = two_items
    h = sealed_with_everything(desk, staff, homes)
    with transaction(desk.engine) as session:
        session.exec(update(HandoverCount).where(  # type: ignore[call-overload]
            HandoverCount.id == h["counts"][0].id).values(counted=4))
    flat = " ".join(text_of(desk, h["id"]).split())
    assert "WARNING: this handover was changed after it was sealed" in flat
    assert "The sheet matches its seal." not in flat


def test_the_sheet_speaks_chinese_under_zh_cn(
    two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = two_items
    h = started(desk, staff, homes)
    i18n.set_language("zh_CN")
    try:
        draft = render_text(document(desk, h["id"]), width=sheet.TEXT_WIDTH)
        ready_to_sign(desk, staff, h)
        sign_both(desk, h)
        run(desk, handovers.add_addendum, handover_id=h["id"], actor=staff.supervisor,
            text="补记：雨伞一把借给业主", now=MID_MORNING + 3 * MINUTE)
        sealed = render_text(document(desk, h["id"]), width=sheet.TEXT_WIDTH)
    finally:
        i18n.set_language("en")
    assert "交接班记录（草稿）" in draft and "草稿" in draft and "尚未签名" in draft
    for label in ("交接班记录", "交班人", "接班人", "应急预案", "公物清点", "补记", "封存",
                  "紧急", "常规", "已接收", "主管"):
        assert label in sealed, label
    assert "草稿" not in sealed
    assert "Shift" not in sealed and "Contingency" not in sealed and "Addenda" not in sealed


def test_a_handover_of_another_site_or_none_is_not_found(desk: Desk) -> None:
    with reading(desk.engine) as session, pytest.raises(NotFound):
        sheet.handover_document(session, acting=Acting(desk.site_id), handover_id=999,
                                settings=desk.settings, now=PRINTED)


@needs_poppler
def test_the_pdf_carries_its_font_and_its_chinese(
    two_items: Desk, staff: Staff, homes: Homes, tmp_path: Path,
) -> None:
    desk = two_items
    h = sealed_with_everything(desk, staff, homes)
    i18n.set_language("zh_CN")
    try:
        doc = document(desk, h["id"])
    finally:
        i18n.set_language("en")
    pdf = render_pdf(doc)
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True,
                           text=True).stdout.splitlines()[2:]
    # Every font is inside the file: a desk with no Chinese font installed shows it all.
    assert fonts and all(re.search(r"\byes\s+yes\s+(yes|no)\s+\d+\s+\d+\s*$", line)
                         for line in fonts), fonts
    text = re.sub(r"\s+", "", subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8"))
    for expected in ("交接班记录", "交班人", "接班人", "应急预案", "公物清点", "补记", "封存",
                     "王芳", "刘洋", "赵敏", "楼上漏水", "若业主再来电，先报主管",
                     "一台送修，工程部签收", "补记：对讲机一台充电中", seal_of(desk, h["id"])):
        assert expected in text, expected


def test_the_pdf_and_the_text_are_written_to_the_prints_folder(
    two_items: Desk, staff: Staff, homes: Homes, tmp_path: Path,
) -> None:
    desk = two_items
    h = started(desk, staff, homes)
    doc = document(desk, h["id"])
    folder = desk.settings.data_dir / "prints"
    pdf_path, text_path = sheet.save_sheet(doc, folder=folder, handover_id=h["id"],
                                           now=PRINTED, zone=ZONE)
    assert pdf_path == folder / f"handover-{h['id']}-2026-11-23-1005.pdf"
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert text_path.read_text(encoding="utf-8") == render_text(doc, width=sheet.TEXT_WIDTH)

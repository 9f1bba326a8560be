"""The request card's sections are plain functions of the card: tested without an app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from deskapp.models.requests import ServiceRequest
from deskapp.screens.requests import card_text
from deskapp.screens.requests.card_text import CardContext
from deskapp.services.requests.steps import Step
from deskapp.services.requests.views import DeadlineView, RequestCard

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
CONTEXT = CardContext(now=NOW, zone=ZoneInfo("Asia/Shanghai"),
                      shift_end=NOW + timedelta(hours=8), colors={"error": "#ff0000"})


def _card(severity: str = "general", **changes: object) -> RequestCard:
    request = ServiceRequest(
        id=1, site_id=1, number="Q-0001", kind="complaint", severity=severity,
        status="received", channel="phone", summary="楼上渗水", contact_name="王芳",
        received_at=NOW - timedelta(hours=1),
    )
    values: dict[str, object] = {
        "request": request, "unit_code": "3-2-1201", "resident_name": "王芳",
        "owner_name": "王芳", "related_number": "", "timeline": [], "pending_deadlines": [],
        "past_deadlines": [], "work_orders": [], "revisits": [], "escalations": [],
        "steps": [Step.DISPATCH, Step.EDIT],
    }
    values.update(changes)
    return RequestCard(**values)  # type: ignore[arg-type]


def _deadline(due_in: timedelta, **changes: object) -> DeadlineView:
    values: dict[str, object] = {
        "id": 1, "kind": "resident_reply", "due_at": NOW + due_in, "pending": True,
        "met_at": None, "cancelled_at": None, "paused": False, "overdue": False,
        "shifted_minutes": 0,
    }
    values.update(changes)
    return DeadlineView(**values)  # type: ignore[arg-type]


def test_an_alarming_severity_is_marked_in_the_theme_error_colour() -> None:
    header = card_text.header(_card("hot"), CONTEXT)
    assert "‼" in header.plain and "Q-0001" in header.plain and "3-2-1201" in header.plain
    assert any("#ff0000" in str(span.style) for span in header.spans)
    assert "‼" not in card_text.header(_card("general"), CONTEXT).plain


def test_the_steps_line_leaves_out_the_steps_of_the_intake_form() -> None:
    line = card_text.steps_line(_card(), CONTEXT).plain
    assert line.startswith("ctrl+t") and "dispatch" in line.lower()
    assert "edit" not in line.lower()


def test_a_deadline_says_whether_it_is_due_this_shift_or_overdue() -> None:
    soon = card_text.deadline_line(_deadline(timedelta(hours=2)), CONTEXT).plain
    later = card_text.deadline_line(_deadline(timedelta(days=2)), CONTEXT).plain
    late = card_text.deadline_line(
        _deadline(-timedelta(hours=3), overdue=True), CONTEXT).plain
    assert "due this shift" in soon and "due this shift" not in later
    assert "overdue" in late


def test_empty_sections_take_no_text_and_every_section_is_drawn() -> None:
    sections = card_text.card_sections(_card(), CONTEXT)
    assert tuple(sections) == card_text.SECTIONS
    assert sections["revisits"].plain == "" and sections["escalations"].plain == ""
    assert "Nothing pending." in sections["deadlines"].plain

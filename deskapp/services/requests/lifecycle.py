"""Requests of residents and visitors (诉求登记): intake and every step of their lifecycle.

Each public function is one step: it checks the input and the lifecycle table
(``request_steps.TRANSITIONS``), changes the request, writes its timeline
event, its deadlines and its audit entry in the caller's transaction, and
flushes. Nothing is written when a check fails. The operator who registers a
request owns it (首问负责制) until it is handed over with a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _
from deskapp.models import Operator, Resident, Role, Unit
from deskapp.models.requests import (
    Channel,
    ComplaintSubject,
    DeadlineKind,
    Department,
    EventKind,
    Exposure,
    Nature,
    RequestCounter,
    RequestKind,
    RequestStatus,
    ServiceRequest,
    Severity,
    WorkOrder,
)
from deskapp.services import audit, directory, operators, search, versions
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.requests import deadlines, workorders
from deskapp.services.requests import rules as request_rules
from deskapp.services.requests.checks import clean_text, parse_choice, required_reason
from deskapp.services.requests.steps import Step, check_step
from deskapp.services.requests.timeline import (
    Fact,
    Label,
    add_event,
    audit_request,
    english,
    get_request,
    joined,
    message,
    require_actor,
)

MAX_SUMMARY = 2000
MAX_WISH = 1000
MAX_RESULT = 2000
MAX_SUBJECT = 120
MAX_LOCATION = 200
MAX_HAPPENED_TEXT = 100
MAX_ABOUT = 120
MAX_COLLECTIVE = 100_000
FUTURE_TOLERANCE = timedelta(minutes=5)

audit.register_action_labels({
    "request.create": N_("Request registered"),
    "request.edit": N_("Request details changed"),
    "request.classify": N_("Request classified"),
    "request.dispatch": N_("Request dispatched"),
    "request.department_report": N_("Department reported"),
    "request.department_reply": N_("Department replied"),
    "request.defer": N_("Answer deferred"),
    "request.answer": N_("Resident answered"),
    "request.resolve": N_("Request resolved"),
    "request.revisit": N_("Revisit recorded"),
    "request.close": N_("Request closed"),
    "request.reopen": N_("Request reopened"),
    "request.void": N_("Request voided"),
    "request.hand_over": N_("Request handed over"),
    "request.note": N_("Note added to a request"),
    "request.severity_raise": N_("Severity raised"),
    "request.severity_lower": N_("Severity lowered"),
    "request.pause": N_("Request clock paused"),
    "request.resume": N_("Request clock resumed"),
    "request.escalate": N_("Request escalated"),
    "request.escalation_acknowledge": N_("Escalation acknowledged"),
    "work_order.open": N_("Work order opened"),
    "work_order.agree_cost": N_("Material cost agreed"),
    "work_order.arrive": N_("Technician arrived"),
    "work_order.start": N_("Repair work started"),
    "work_order.complete": N_("Repair work completed"),
    "work_order.confirm": N_("Repair confirmed"),
    "work_order.cancel": N_("Work order cancelled"),
    "instruction.add": N_("Standing instruction recorded"),
    "instruction.void": N_("Standing instruction voided"),
})


def _id(value: int | None) -> int:
    assert value is not None, "flushed records have an id"
    return value


# --- intake ---------------------------------------------------------------------------


def _next_number(session: Session, *, site_id: int, received_at: datetime, zone: Any) -> str:
    """``YYMMDD-NNNN``: the local day of receipt and the day's sequence.

    One atomic upsert on the day's counter row, so two desks saving at once get
    two numbers (PostgreSQL: the row lock; SQLite: the single writer).
    """
    day = received_at.astimezone(zone).strftime("%y%m%d")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = insert(RequestCounter).values(site_id=site_id, day=day, last_seq=1)
    statement = values.on_conflict_do_update(
        index_elements=["site_id", "day"],
        set_={"last_seq": col(RequestCounter.last_seq) + 1},
    ).returning(col(RequestCounter.last_seq))
    sequence = session.connection().execute(statement).scalar_one()
    return f"{day}-{sequence:04d}"


def _resolve_unit(
    session: Session, *, site_id: int, unit_id: int | None, unit_code: str | None
) -> Unit | None:
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.site_id != site_id:
            raise NotFound(_("This unit does not exist; pick it again."), field="unit")
        return unit
    if unit_code and unit_code.strip():
        return directory.get_unit(session, acting=Acting(site_id), code=unit_code)
    return None


def _check_happened_at(happened_at: datetime | None, now: datetime) -> datetime | None:
    if happened_at is None:
        return None
    if happened_at.utcoffset() is None:
        raise InvalidInput(_("A time without a time zone was given."), field="happened_at")
    if happened_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(
            _("When it happened lies in the future; check the date and time."),
            field="happened_at",
        )
    return as_utc(happened_at)


def _check_collective(people: int) -> int:
    if not 1 <= people <= MAX_COLLECTIVE:
        raise InvalidInput(
            _("The number of people must be between 1 and {count}.").format(count=MAX_COLLECTIVE),
            field="collective_people",
        )
    return people


def _check_visitor_contact(*, name: str, phone: str) -> None:
    """A visitor without a unit is reached by name and phone: neither may be missing
    (at intake, nor erased by a correction later)."""
    if not name:
        raise InvalidInput(_("A visitor without a unit gives a name."), field="name")
    if not phone:
        raise InvalidInput(_("A visitor without a unit gives a phone number."), field="phone")


def _phone(text: str | None) -> str:
    return directory.normalize_phone(text) if text and text.strip() else ""


def _texts(
    *, subject: str | None, summary: str | None, wish: str | None, location: str | None,
    happened_text: str | None, about: str | None, contact_name: str | None,
    summary_required: bool,
) -> dict[str, str | None]:
    """The checked text fields (``None`` stays ``None``: not given)."""
    def check(value: str | None, **kwargs: Any) -> str | None:
        return None if value is None else clean_text(value, **kwargs)

    return {
        "subject": check(subject, field="subject", label=_("subject"), max_length=MAX_SUBJECT),
        "summary": check(summary, field="summary", label=_("summary"), max_length=MAX_SUMMARY,
                         required=summary_required, multiline=True),
        "wish": check(wish, field="wish", label=_("resident's wish"), max_length=MAX_WISH,
                      multiline=True),
        "location": check(location, field="location", label=_("place"),
                          max_length=MAX_LOCATION),
        "happened_text": check(happened_text, field="happened_text", label=_("time it happened"),
                               max_length=MAX_HAPPENED_TEXT),
        "about": check(about, field="about", label=_("department or person complained about"),
                       max_length=MAX_ABOUT),
        "contact_name": check(contact_name, field="name", label=_("name"),
                              max_length=directory.MAX_NAME_LENGTH),
    }


def searchable_text(session: Session, request: ServiceRequest) -> str:
    """What free-text search finds a request by."""
    unit = session.get(Unit, request.unit_id) if request.unit_id else None
    parts = [request.number, unit.code if unit else "", request.contact_name, request.subject,
             request.summary, request.wish, request.location, request.about,
             request.department_reply, request.result]
    return "\n".join(part for part in parts if part)


def reindex(session: Session, request: ServiceRequest) -> None:
    assert request.id is not None
    search.index_record(
        session, acting=Acting(request.site_id), entity="request", entity_id=request.id,
        text=searchable_text(session, request),
    )


def create_request(
    session: Session,
    *,
    acting: Acting,
    settings: Settings,
    now: datetime,
    kind: str,
    summary: str,
    channel: str = Channel.PHONE.value,
    unit_id: int | None = None,
    unit_code: str | None = None,
    resident_id: int | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    subject: str = "",
    wish: str = "",
    location: str = "",
    happened_text: str = "",
    happened_at: datetime | None = None,
    about: str = "",
    collective_people: int = 1,
    nature: str | None = None,
    complaint_subject: str | None = None,
    exposure: str = Exposure.NONE.value,
    needs_outside_help: bool = False,
    related_request_id: int | None = None,
) -> ServiceRequest:
    """Register a request; ``actor`` becomes its owner. Returns it with its number.

    A visitor without a unit gives a name and a phone. When ``resident_id`` is
    given, empty name and phone are taken from the directory.
    """
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    parsed_kind = parse_choice(RequestKind, kind, field="kind", label=_("kind of request"))
    parsed_channel = parse_choice(Channel, channel, field="channel", label=_("channel"))
    texts = _texts(subject=subject, summary=summary, wish=wish, location=location,
                   happened_text=happened_text, about=about, contact_name=contact_name,
                   summary_required=True)
    phone = _phone(contact_phone)
    when = _check_happened_at(happened_at, now)
    people = _check_collective(collective_people)
    parsed_exposure = parse_choice(Exposure, exposure, field="exposure", label=_("exposure"))
    parsed_nature = (parse_choice(Nature, nature, field="nature", label=_("nature"))
                     if nature else None)
    parsed_subject = (parse_choice(ComplaintSubject, complaint_subject,
                                   field="complaint_subject", label=_("complaint subject"))
                      if complaint_subject else None)
    if parsed_kind is not RequestKind.COMPLAINT and (parsed_nature or parsed_subject):
        raise InvalidInput(_("Nature and subject classify complaints only."),
                           field="nature" if parsed_nature else "complaint_subject")
    # The number first: on SQLite a transaction that starts by writing waits its turn
    # (busy_timeout) where one that read first would fail when another desk commits.
    # A refusal below rolls the counter back with everything else.
    number = _next_number(session, site_id=site_id, received_at=now,
                          zone=desk_zone(settings.timezone))
    unit = _resolve_unit(session, site_id=site_id, unit_id=unit_id, unit_code=unit_code)
    resident = None
    if resident_id is not None:
        resident = session.get(Resident, resident_id)
        if resident is None or resident.site_id != site_id:
            raise NotFound(_("This resident is not in the directory."), field="resident")
        if unit is not None and resident.unit_id != unit.id:
            raise InvalidInput(
                _("{name} is not listed at {code}.").format(name=resident.name, code=unit.code),
                field="resident",
            )
        if unit is None:
            unit = session.get(Unit, resident.unit_id)
    name = texts["contact_name"] or (resident.name if resident else "")
    if not phone and resident is not None:
        phone = resident.phone
    if unit is None:
        _check_visitor_contact(name=name, phone=phone)
    related = None
    if related_request_id is not None:
        related = session.get(ServiceRequest, related_request_id)
        if related is None or related.site_id != site_id:
            raise NotFound(_("The related request does not exist."), field="related_request")

    request = ServiceRequest(
        site_id=site_id, number=number, received_at=now,
        unit_id=unit.id if unit else None, resident_id=resident.id if resident else None,
        contact_name=name, contact_phone=phone, contact_phone_tail=phone[-4:],
        channel=parsed_channel.value, kind=parsed_kind.value,
        subject=texts["subject"] or "", summary=texts["summary"] or "", wish=texts["wish"] or "",
        location=texts["location"] or "", happened_text=texts["happened_text"] or "",
        happened_at=when, about=texts["about"] or "", collective_people=people,
        nature=parsed_nature.value if parsed_nature else None,
        complaint_subject=parsed_subject.value if parsed_subject else None,
        exposure=parsed_exposure.value, needs_outside_help=needs_outside_help,
        owner_id=_id(actor.id), related_request_id=related.id if related else None,
        created_at=now, updated_at=now,
    )
    session.add(request)
    session.flush()
    add_event(session, request, now=now, actor=actor, kind=EventKind.RECEIVED,
              to_status=RequestStatus.RECEIVED.value)
    # (The channel is on the request itself, shown in the reader's language.)
    deadlines.add_deadline(
        session, request, kind=DeadlineKind.RESIDENT_REPLY, now=now,
        due_at=deadlines.due_at_for(DeadlineKind.RESIDENT_REPLY, now, settings),
    )
    deadlines.refresh_next_due(session, request)
    audit_request(session, request, action="request.create", now=now, actor=actor)
    request_rules.apply_rules_with_group(session, request, now=now, settings=settings,
                                         actor=actor)
    reindex(session, request)
    return request


def edit_request(
    session: Session,
    *,
    acting: Acting,
    request_id: int,
    now: datetime,
    subject: str | None = None,
    summary: str | None = None,
    wish: str | None = None,
    location: str | None = None,
    happened_text: str | None = None,
    happened_at: datetime | None = None,
    about: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    channel: str | None = None,
    seen_version: int | None = None,
    settings: Settings | None = None,
) -> ServiceRequest:
    """Correct the details of an open request; ``None`` leaves a field as it is.

    ``seen_version`` is the version the form was opened on: a request changed since
    is refused with what changed and who changed it (``versions.check_seen``), so
    two desks correcting the same request cannot overwrite each other unseen.
    """
    actor = acting.operator
    actor = require_actor(actor)
    texts = _texts(subject=subject, summary=summary, wish=wish, location=location,
                   happened_text=happened_text, about=about, contact_name=contact_name,
                   summary_required=summary is not None)
    changes: dict[str, Any] = {key: value for key, value in texts.items() if value is not None}
    if contact_phone is not None:
        changes["contact_phone"] = _phone(contact_phone)
    if happened_at is not None:
        changes["happened_at"] = _check_happened_at(happened_at, now)
    if channel is not None:
        changes["channel"] = parse_choice(Channel, channel, field="channel",
                                          label=_("channel")).value
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.EDIT)
    if request.unit_id is None:
        _check_visitor_contact(name=changes.get("contact_name", request.contact_name),
                               phone=changes.get("contact_phone", request.contact_phone))
    changed = {key: value for key, value in changes.items() if getattr(request, key) != value}
    if not changed:
        return request  # what the form holds is on file already: nothing to refuse
    versions.check_seen(session, request, seen_version=seen_version, entity="request",
                        name=_("Request {number}").format(number=request.number),
                        zone=desk_zone(settings.timezone) if settings else UTC)
    before = audit.snapshot(request)
    for key, value in changed.items():
        setattr(request, key, value)
    if "contact_phone" in changed:
        request.contact_phone_tail = request.contact_phone[-4:]
    request.updated_at = now
    session.add(request)
    session.flush()
    add_event(session, request, now=now, actor=actor, kind=EventKind.EDITED,
              details=", ".join(sorted(changed)))
    audit_request(session, request, action="request.edit", now=now, actor=actor, before=before)
    reindex(session, request)
    return request


def classify(
    session: Session,
    *,
    acting: Acting,
    request_id: int,
    settings: Settings,
    now: datetime,
    nature: str | None = None,
    complaint_subject: str | None = None,
    collective_people: int | None = None,
    exposure: str | None = None,
    needs_outside_help: bool | None = None,
) -> ServiceRequest:
    """Classify a complaint (nature, subject, people, exposure); severity rules then apply."""
    actor = acting.operator
    actor = require_actor(actor)
    changes: dict[str, Any] = {}
    if nature is not None:
        changes["nature"] = parse_choice(Nature, nature, field="nature", label=_("nature")).value
    if complaint_subject is not None:
        changes["complaint_subject"] = parse_choice(
            ComplaintSubject, complaint_subject, field="complaint_subject",
            label=_("complaint subject")).value
    if collective_people is not None:
        changes["collective_people"] = _check_collective(collective_people)
    if exposure is not None:
        changes["exposure"] = parse_choice(Exposure, exposure, field="exposure",
                                           label=_("exposure")).value
    if needs_outside_help is not None:
        changes["needs_outside_help"] = needs_outside_help
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.CLASSIFY)
    if request.kind != RequestKind.COMPLAINT and ("nature" in changes
                                                  or "complaint_subject" in changes):
        raise InvalidInput(_("Nature and subject classify complaints only."), field="nature")
    changed = {key: value for key, value in changes.items() if getattr(request, key) != value}
    if not changed:
        return request
    before = audit.snapshot(request)
    for key, value in changed.items():
        setattr(request, key, value)
    request.updated_at = now
    session.add(request)
    session.flush()
    add_event(session, request, now=now, actor=actor, kind=EventKind.CLASSIFIED,
              details=", ".join(f"{key}={value}" for key, value in sorted(changed.items())))
    audit_request(session, request, action="request.classify", now=now, actor=actor,
                  before=before)
    request_rules.apply_rules_with_group(session, request, now=now, settings=settings,
                                         actor=actor)
    return request


# --- lifecycle ------------------------------------------------------------------------


def _move(
    session: Session, request: ServiceRequest, step: Step, *, now: datetime, actor: Operator,
    kind: EventKind, details: Fact = "", action: str, extra: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    """Apply the step's target status, then write the event and the audit entry."""
    transition = check_step(request, step)
    from_status = request.status
    if transition.target is not None:
        request.status = transition.target.value
    request.updated_at = now
    session.add(request)
    session.flush()
    deadlines.refresh_next_due(session, request)
    add_event(session, request, now=now, actor=actor, kind=kind, details=details,
              from_status=from_status,
              to_status=transition.target.value if transition.target else None)
    audit_request(session, request, action=action, now=now, actor=actor, before=before,
                  extra=extra)


def dispatch(
    session: Session, *, acting: Acting, request_id: int, settings: Settings, now: datetime,
    department: str, assignee: str = "", note: str = "",
    needs_superior: bool = False,
) -> ServiceRequest:
    """Send the request to a department (and person); it replies within
    ``department_reply_hours``, or reports within ``department_escalation_hours``
    office hours when it must ask its superior (``needs_superior``)."""
    actor = acting.operator
    actor = require_actor(actor)
    parsed = parse_choice(Department, department, field="department", label=_("department"))
    assignee = clean_text(assignee, field="assignee", label=_("person"),
                          max_length=directory.MAX_NAME_LENGTH)
    note = clean_text(note, field="note", label=_("note"), max_length=500, multiline=True)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.DISPATCH)
    before = audit.snapshot(request)
    # A new dispatch replaces the earlier department's deadlines.
    deadlines.settle(session, request, kinds=[DeadlineKind.DEPARTMENT_REPLY,
                                              DeadlineKind.DEPARTMENT_REPORT], now=now, met=False)
    request.department = parsed.value
    request.assignee = assignee
    deadlines.add_deadline(session, request, kind=DeadlineKind.DEPARTMENT_REPLY, now=now,
                           due_at=deadlines.due_at_for(DeadlineKind.DEPARTMENT_REPLY, now,
                                                       settings))
    if needs_superior:
        deadlines.add_deadline(session, request, kind=DeadlineKind.DEPARTMENT_REPORT, now=now,
                               due_at=deadlines.due_at_for(DeadlineKind.DEPARTMENT_REPORT, now,
                                                           settings))
    who = joined([Label("department", parsed.value), assignee], " · ")
    _move(session, request, Step.DISPATCH, now=now, actor=actor, kind=EventKind.DISPATCHED,
          details=message("with_detail", what=who, detail=note) if note else who,
          action="request.dispatch", before=before)
    return request


def department_report(
    session: Session, *, acting: Acting, request_id: int, now: datetime,
    text: str,
) -> ServiceRequest:
    """The department's interim report (it asked its superior); the final reply follows."""
    actor = acting.operator
    actor = require_actor(actor)
    text = clean_text(text, field="text", label=_("report"), max_length=MAX_RESULT,
                      required=True, multiline=True)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.DEPARTMENT_REPORT)
    deadlines.settle(session, request, kinds=[DeadlineKind.DEPARTMENT_REPORT], now=now, met=True)
    _move(session, request, Step.DEPARTMENT_REPORT, now=now, actor=actor,
          kind=EventKind.DEPARTMENT_REPORTED, details=text, action="request.department_report",
          extra={"text": text})
    return request


def department_reply(
    session: Session, *, acting: Acting, request_id: int, now: datetime,
    text: str,
) -> ServiceRequest:
    """The department's reply to the desk (what was done or what will be)."""
    actor = acting.operator
    actor = require_actor(actor)
    text = clean_text(text, field="text", label=_("reply"), max_length=MAX_RESULT,
                      required=True, multiline=True)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.DEPARTMENT_REPLY)
    before = audit.snapshot(request)
    deadlines.settle(session, request, kinds=[DeadlineKind.DEPARTMENT_REPLY,
                                              DeadlineKind.DEPARTMENT_REPORT], now=now, met=True)
    request.department_reply = text
    _move(session, request, Step.DEPARTMENT_REPLY, now=now, actor=actor,
          kind=EventKind.DEPARTMENT_REPLIED, details=text, action="request.department_reply",
          before=before)
    reindex(session, request)
    return request


def defer(
    session: Session, *, acting: Acting, request_id: int, settings: Settings, now: datetime,
    reason: str,
) -> ServiceRequest:
    """What cannot be answered at once: record why (reported to the department head);
    the resident gets a result or explanation within ``deferred_answer_days`` working days."""
    actor = acting.operator
    actor = require_actor(actor)
    reason = required_reason(reason)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.DEFER)
    deadlines.settle(session, request, kinds=[DeadlineKind.RESIDENT_REPLY,
                                              DeadlineKind.DEFERRED_ANSWER], now=now, met=False)
    deadlines.add_deadline(session, request, kind=DeadlineKind.DEFERRED_ANSWER, now=now,
                           due_at=deadlines.due_at_for(DeadlineKind.DEFERRED_ANSWER, now,
                                                       settings))
    _move(session, request, Step.DEFER, now=now, actor=actor, kind=EventKind.DEFERRED,
          details=reason, action="request.defer", extra={"reason": reason})
    return request


def answer_resident(
    session: Session, *, acting: Acting, request_id: int, now: datetime,
    text: str,
) -> ServiceRequest:
    """The desk's answer to the resident (meets the reply and deferred-answer deadlines)."""
    actor = acting.operator
    actor = require_actor(actor)
    text = clean_text(text, field="text", label=_("answer"), max_length=MAX_RESULT,
                      required=True, multiline=True)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.ANSWER)
    deadlines.settle(session, request, kinds=[DeadlineKind.RESIDENT_REPLY,
                                              DeadlineKind.DEFERRED_ANSWER], now=now, met=True)
    _move(session, request, Step.ANSWER, now=now, actor=actor, kind=EventKind.ANSWERED,
          details=text, action="request.answer", extra={"text": text})
    return request


def resolve(
    session: Session, *, acting: Acting, request_id: int, settings: Settings, now: datetime,
    result: str,
) -> ServiceRequest:
    """Record the handling result (处理结果); a revisit falls due for complaints and work."""
    actor = acting.operator
    actor = require_actor(actor)
    result = clean_text(result, field="result", label=_("handling result"),
                        max_length=MAX_RESULT, required=True, multiline=True)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.RESOLVE)
    before = audit.snapshot(request)
    deadlines.settle(session, request, kinds=[DeadlineKind.RESIDENT_REPLY,
                                              DeadlineKind.DEFERRED_ANSWER], now=now, met=True)
    deadlines.settle(session, request, kinds=None, now=now, met=False)
    if deadlines.revisit_days(request.kind, settings) is not None:
        deadlines.add_deadline(
            session, request, kind=DeadlineKind.REVISIT, now=now,
            due_at=deadlines.due_at_for(DeadlineKind.REVISIT, now, settings,
                                        request_kind=request.kind),
        )
    request.result = result
    request.resolved_at = now
    _move(session, request, Step.RESOLVE, now=now, actor=actor, kind=EventKind.RESOLVED,
          details=result, action="request.resolve", before=before)
    reindex(session, request)
    return request


def _finish(session: Session, request: ServiceRequest, *, now: datetime) -> None:
    deadlines.settle(session, request, kinds=None, now=now, met=False)
    deadlines.close_escalations(session, request, now=now)
    request.is_open = False
    request.closed_at = now
    request.paused_at = None
    request.pause_reason = ""


def close(
    session: Session, *, acting: Acting, request_id: int, settings: Settings, now: datetime,
    note: str = "",
) -> ServiceRequest:
    """Close a resolved request; refused while a revisit is due and not recorded."""
    actor = acting.operator
    actor = require_actor(actor)
    note = clean_text(note, field="note", label=_("note"), max_length=500, multiline=True)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.CLOSE)
    assert request.id is not None
    for deadline in deadlines.pending_deadlines(session, request.id):
        if deadline.kind == DeadlineKind.REVISIT:
            due = as_utc(deadline.due_at).astimezone(desk_zone(settings.timezone))
            raise Conflict(
                _("A revisit of {number} is due by {due}: record it before closing.").format(
                    number=request.number, due=due.strftime("%Y-%m-%d %H:%M")),
                field="request",
            )
    _finish(session, request, now=now)
    _move(session, request, Step.CLOSE, now=now, actor=actor, kind=EventKind.CLOSED,
          details=note, action="request.close")
    return request


def reopen(
    session: Session, *, acting: Acting, request_id: int, settings: Settings, now: datetime,
    reason: str,
) -> ServiceRequest:
    """Take up a resolved or closed request again (the resident is not satisfied, or
    complains again on the same matter). A closed complaint reopened becomes important."""
    actor = acting.operator
    actor = require_actor(actor)
    reason = required_reason(reason)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.REOPEN)
    was_closed = request.status == RequestStatus.CLOSED
    reopen_row(session, request, reason=reason, settings=settings, now=now, actor=actor)
    if was_closed and request.kind == RequestKind.COMPLAINT:
        request_rules.raise_by_rule(
            session, request, to=Severity.IMPORTANT, settings=settings, now=now, actor=actor,
            reason=message("reopened_after_close"),
        )
    return request


def reopen_row(
    session: Session, request: ServiceRequest, *, reason: Fact, settings: Settings,
    now: datetime, actor: Operator,
) -> None:
    """Shared with the unsatisfied revisit: back to work, with a new reply deadline
    (``reason`` typed, or the revisit's words as facts)."""
    deadlines.settle(session, request, kinds=None, now=now, met=False)
    request.is_open = True
    request.closed_at = None
    request.resolved_at = None
    request.reopen_count += 1
    deadlines.add_deadline(
        session, request, kind=DeadlineKind.RESIDENT_REPLY, now=now,
        due_at=deadlines.due_at_for(DeadlineKind.RESIDENT_REPLY, now, settings,
                                    severity=request.severity),
    )
    _move(session, request, Step.REOPEN, now=now, actor=actor, kind=EventKind.REOPENED,
          details=reason, action="request.reopen", extra={"reason": english(reason)})


def void(
    session: Session, *, acting: Acting, request_id: int, now: datetime,
    reason: str,
) -> ServiceRequest:
    """Void a request registered by mistake or twice (never deleted); reason required."""
    actor = acting.operator
    actor = require_actor(actor)
    reason = required_reason(reason)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.VOID)
    _finish(session, request, now=now)
    request.voided_reason = reason
    # Each running work order is cancelled as a step of its own: its timeline event
    # and its audit entry, in this same transaction.
    for order in session.exec(
        select(WorkOrder).where(
            WorkOrder.request_id == request.id,
            col(WorkOrder.status).in_([status.value for status in workorders.ACTIVE]),
        ).order_by(col(WorkOrder.id))
    ).all():
        assert order.id is not None
        workorders.cancel_work_order(session, acting=acting, work_order_id=order.id,
                                     reason=reason, now=now)
    _move(session, request, Step.VOID, now=now, actor=actor, kind=EventKind.VOIDED,
          details=reason, action="request.void", extra={"reason": reason})
    return request


def may_own_requests(operator: Operator) -> bool:
    """Desk staff own requests; a guard (值岗人员) does not."""
    return operator.role != Role.GUARD


def handover_candidates(session: Session, *, acting: Acting, request_id: int) -> list[Operator]:
    """Whom the request can be handed to: active desk staff other than its owner."""
    request = get_request(session, acting=acting, request_id=request_id)
    return [
        person
        for person in operators.list_operators(session, acting=acting, include_disabled=False)
        if person.id != request.owner_id and may_own_requests(person)
    ]


def hand_over(
    session: Session, *, acting: Acting, request_id: int, now: datetime,
    to_operator_id: int, reason: str,
) -> ServiceRequest:
    """Hand the request to another owner (by its owner or a supervisor), with a reason."""
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    reason = required_reason(reason)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.HAND_OVER)
    if actor.id != request.owner_id and actor.role not in (Role.SUPERVISOR, Role.MANAGER):
        raise Conflict(_("Only the owner or a supervisor can hand this request over."),
                       field="owner")
    target = session.get(Operator, to_operator_id)
    if target is None or target.site_id != site_id or not target.active:
        raise NotFound(_("Choose an active operator of this desk."), field="owner")
    if not may_own_requests(target):
        raise InvalidInput(_("A request is handed to desk staff, not to a guard."),
                           field="owner")
    if target.id == request.owner_id:
        raise InvalidInput(
            _("{name} already owns this request.").format(name=target.display_name),
            field="owner",
        )
    previous = session.get(Operator, request.owner_id)
    before = audit.snapshot(request)
    request.owner_id = _id(target.id)
    details = message("handed_over", before=previous.display_name if previous else "?",
                      after=target.display_name, reason=reason)
    _move(session, request, Step.HAND_OVER, now=now, actor=actor, kind=EventKind.HANDED_OVER,
          details=details, action="request.hand_over", before=before, extra={"reason": reason})
    return request


def add_note(
    session: Session, *, acting: Acting, request_id: int, now: datetime,
    text: str,
) -> ServiceRequest:
    """A line on the timeline (a call back, what the resident added …)."""
    actor = acting.operator
    actor = require_actor(actor)
    text = clean_text(text, field="text", label=_("note"), max_length=MAX_RESULT,
                      required=True, multiline=True)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    _move(session, request, Step.NOTE, now=now, actor=actor, kind=EventKind.NOTE, details=text,
          action="request.note", extra={"text": text})
    return request

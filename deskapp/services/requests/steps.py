"""The lifecycle of a request in one table: which step is allowed from which status.

received → dispatched → department replied → resident answered → resolved →
revisited → closed; reopened by an unsatisfied revisit or a new complaint on
the same matter; voided (with a reason) from any open status. Steps that do
not change the status (hand-over, pause, notes …) are listed too, so tests can
enumerate every allowed and refused pair from ``TRANSITIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from deskapp.errors import Conflict
from deskapp.i18n import N_, _
from deskapp.models.requests import RequestStatus, ServiceRequest
from deskapp.services.requests.labels import STATUS_LABELS, label

S = RequestStatus
OPEN = frozenset(set(S) - {S.CLOSED, S.VOIDED})
UNRESOLVED = frozenset({S.RECEIVED, S.DISPATCHED, S.REPLIED, S.ANSWERED, S.REOPENED})


class Step(StrEnum):
    DISPATCH = "dispatch"
    DEPARTMENT_REPORT = "department_report"
    DEPARTMENT_REPLY = "department_reply"
    DEFER = "defer"
    ANSWER = "answer"
    RESOLVE = "resolve"
    REVISIT = "revisit"
    CLOSE = "close"
    REOPEN = "reopen"
    VOID = "void"
    HAND_OVER = "hand_over"
    EDIT = "edit"
    CLASSIFY = "classify"
    PAUSE = "pause"
    RESUME = "resume"
    NOTE = "note"
    WORK_ORDER = "work_order"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[RequestStatus]
    target: RequestStatus | None
    """``None``: the step leaves the status as it is."""


TRANSITIONS: dict[Step, Transition] = {
    Step.DISPATCH: Transition(
        frozenset({S.RECEIVED, S.REOPENED, S.DISPATCHED, S.REPLIED, S.ANSWERED}), S.DISPATCHED
    ),
    Step.DEPARTMENT_REPORT: Transition(frozenset({S.DISPATCHED}), None),
    Step.DEPARTMENT_REPLY: Transition(frozenset({S.DISPATCHED}), S.REPLIED),
    Step.DEFER: Transition(UNRESOLVED, None),
    Step.ANSWER: Transition(frozenset({S.RECEIVED, S.REOPENED, S.REPLIED}), S.ANSWERED),
    Step.RESOLVE: Transition(
        frozenset({S.RECEIVED, S.REOPENED, S.REPLIED, S.ANSWERED}), S.RESOLVED
    ),
    Step.REVISIT: Transition(frozenset({S.RESOLVED}), S.REVISITED),
    Step.CLOSE: Transition(frozenset({S.RESOLVED, S.REVISITED}), S.CLOSED),
    Step.REOPEN: Transition(frozenset({S.RESOLVED, S.REVISITED, S.CLOSED}), S.REOPENED),
    Step.VOID: Transition(OPEN, S.VOIDED),
    Step.HAND_OVER: Transition(OPEN, None),
    Step.EDIT: Transition(OPEN, None),
    Step.CLASSIFY: Transition(OPEN, None),
    Step.PAUSE: Transition(OPEN, None),
    Step.RESUME: Transition(OPEN, None),
    Step.NOTE: Transition(OPEN, None),
    Step.WORK_ORDER: Transition(UNRESOLVED, None),
}

STEP_LABELS: dict[str, str] = {
    Step.DISPATCH: N_("dispatch"),
    Step.DEPARTMENT_REPORT: N_("department report"),
    Step.DEPARTMENT_REPLY: N_("department reply"),
    Step.DEFER: N_("defer the answer"),
    Step.ANSWER: N_("answer the resident"),
    Step.RESOLVE: N_("resolve"),
    Step.REVISIT: N_("revisit"),
    Step.CLOSE: N_("close"),
    Step.REOPEN: N_("reopen"),
    Step.VOID: N_("void the request"),
    Step.HAND_OVER: N_("hand over"),
    Step.EDIT: N_("correct the details"),
    Step.CLASSIFY: N_("classify"),
    Step.PAUSE: N_("pause the clock"),
    Step.RESUME: N_("resume the clock"),
    Step.NOTE: N_("add a note"),
    Step.WORK_ORDER: N_("work order"),
}


def is_allowed(status: str, step: Step) -> bool:
    return status in TRANSITIONS[step].sources


def check_step(request: ServiceRequest, step: Step) -> Transition:
    """The transition of ``step``, or a refusal that says the status and the step."""
    transition = TRANSITIONS[step]
    if request.status not in transition.sources:
        raise Conflict(
            _("Request {number} is {status}: \"{step}\" is not possible now.").format(
                number=request.number, status=label(STATUS_LABELS, request.status),
                step=label(STEP_LABELS, step.value),
            ),
            field="request",
        )
    return transition


def allowed_steps(request: ServiceRequest) -> list[Step]:
    """The steps the screen may offer for this request (status rules only)."""
    steps = [step for step in Step if is_allowed(request.status, step)]
    if request.paused_at is None:
        steps = [step for step in steps if step is not Step.RESUME]
    else:
        steps = [step for step in steps if step is not Step.PAUSE]
    return steps

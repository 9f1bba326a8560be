"""Sites granted beyond one's own (issue 18, point 3): a supervisor or manager reads and
reports on the sites a manager of each granted them, and changes nothing there."""

from __future__ import annotations

import pytest
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import AuthError, Conflict, NotFound
from deskapp.models import AuditEntry, Operator, SiteGrant
from deskapp.services import grants, operators, sites
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from tests.support import Staff, staff_fixture  # noqa: F401 (fixtures)


def _north(desk: Desk) -> tuple[int, Operator]:
    """A second site with a manager of its own (周伟, PIN 2468)."""
    with transaction(desk.engine) as session:
        site = sites.add_site(session, code="north", name="北区", now=desk.clock.now())
        assert site.id is not None
        manager = operators.add_operator(
            session, acting=Acting(site.id), login="zhouwei", display_name="周伟", role="manager",
            secret="2468", now=desk.clock.now())
        return site.id, manager


def test_a_manager_of_the_site_grants_it_and_the_holder_reads_it(desk: Desk,
                                                                   staff: Staff) -> None:
    north, north_manager = _north(desk)
    with reading(desk.engine) as session:
        assert grants.readable_sites(session, staff.supervisor) == {desk.site_id}
        with pytest.raises(AuthError) as refused:
            grants.check_reading(session, staff.supervisor, north)
    assert "may not read site north" in refused.value.message
    assert "deskapp site grant" in refused.value.message
    with transaction(desk.engine) as session:
        grants.grant(session, acting=Acting(north, north_manager), operator=staff.supervisor,
                     now=desk.clock.now())
    with reading(desk.engine) as session:
        assert grants.readable_sites(session, staff.supervisor) == {desk.site_id, north}
        grants.check_reading(session, staff.supervisor, north)  # no refusal
        # Reading is all it gives: the grant is not the operator's own site.
        assert grants.readable_sites(session, staff.operator) == {desk.site_id}
        held = grants.grants_of(session, acting=Acting(north))
        own = sites.get_site(session, desk.site_id)
        assert own is not None
        assert [(operator.login, site.code) for _grant, operator, site in held] == [
            ("zhaomin", own.code)]
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "site.grant")).one()
    assert (entry.site_id, entry.actor) == (north, "zhouwei")


def test_a_grant_changes_nothing_at_the_granted_site(desk: Desk, staff: Staff) -> None:
    north, north_manager = _north(desk)
    with transaction(desk.engine) as session:
        grants.grant(session, acting=Acting(north, north_manager), operator=staff.manager,
                     now=desk.clock.now())
    with pytest.raises(AuthError) as refused, transaction(desk.engine) as session:
        lifecycle.create_request(session, acting=Acting(north, staff.manager),
                                 settings=desk.settings,
                                 now=desk.clock.now(), kind="inquiry",
                                 summary="问路", contact_name="路人", contact_phone="13800001111")
    assert "works at another site" in refused.value.message


@pytest.mark.parametrize("who", ["operator", "guard"])
def test_only_supervisors_and_managers_are_granted(desk: Desk, staff: Staff, who: str) -> None:
    north, north_manager = _north(desk)
    holder = {"operator": staff.operator, "guard": staff.guard}[who]
    with pytest.raises(Conflict) as refused, transaction(desk.engine) as session:
        grants.grant(session, acting=Acting(north, north_manager), operator=holder,
                     now=desk.clock.now())
    assert "serves one desk" in refused.value.message
    with reading(desk.engine) as session:
        assert session.exec(select(SiteGrant)).all() == []


def test_only_a_manager_of_the_granted_site_grants_it(desk: Desk, staff: Staff) -> None:
    north, _north_manager = _north(desk)
    # The supervisor's own manager works at another site than north: refused there.
    with pytest.raises(AuthError) as refused, transaction(desk.engine) as session:
        grants.grant(session, acting=Acting(north, staff.manager), operator=staff.supervisor,
                     now=desk.clock.now())
    assert "works at another site" in refused.value.message
    with reading(desk.engine) as session:
        assert session.exec(select(SiteGrant)).all() == []
        assert grants.readable_sites(session, staff.supervisor) == {desk.site_id}


def test_a_revoked_grant_is_kept_and_reads_nothing_and_can_be_given_again(
        desk: Desk, staff: Staff) -> None:
    north, north_manager = _north(desk)
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        grants.grant(session, acting=Acting(north, north_manager), operator=staff.supervisor,
                     now=now)
    with pytest.raises(Conflict), transaction(desk.engine) as session:
        grants.grant(session, acting=Acting(north, north_manager), operator=staff.supervisor,
                     now=now)
    with transaction(desk.engine) as session:
        grants.revoke(session, acting=Acting(north, north_manager), operator=staff.supervisor,
                      now=now)
    with reading(desk.engine) as session:
        assert grants.readable_sites(session, staff.supervisor) == {desk.site_id}
        kept = session.exec(select(SiteGrant)).one()
        assert kept.revoked_at is not None
    with pytest.raises(NotFound), transaction(desk.engine) as session:
        grants.revoke(session, acting=Acting(north, north_manager), operator=staff.supervisor,
                      now=now)
    with transaction(desk.engine) as session:
        grants.grant(session, acting=Acting(north, north_manager), operator=staff.supervisor,
                     now=now)
    with reading(desk.engine) as session:
        assert len(session.exec(select(SiteGrant)).all()) == 1
        assert grants.readable_sites(session, staff.supervisor) == {desk.site_id, north}
        actions = session.exec(select(AuditEntry.action).where(
            AuditEntry.entity == "site_grant").order_by(AuditEntry.seq)).all()
    assert actions == ["site.grant", "site.revoke", "site.grant"]


def test_a_grant_lapses_with_the_holders_role(desk: Desk, staff: Staff) -> None:
    north, north_manager = _north(desk)
    with transaction(desk.engine) as session:
        grants.grant(session, acting=Acting(north, north_manager), operator=staff.supervisor,
                     now=desk.clock.now())
        operators.disable_operator(session, acting=Acting(desk.site_id, staff.manager),
                                   login=staff.supervisor.login, reason="离职",
                                   now=desk.clock.now())
    with reading(desk.engine) as session:
        disabled = session.get(Operator, staff.supervisor.id)
        assert disabled is not None and not disabled.active
        assert grants.readable_sites(session, disabled) == {desk.site_id}


def test_the_queue_and_card_of_a_granted_site_are_read_with_no_step(desk: Desk,
                                                                    staff: Staff) -> None:
    from deskapp.services.requests import views

    north, north_manager = _north(desk)
    with transaction(desk.engine) as session:
        there = lifecycle.create_request(
            session, acting=Acting(north, north_manager), settings=desk.settings,
            now=desk.clock.now(), kind="inquiry", summary="问路", contact_name="路人",
            contact_phone="13800001111")
        grants.grant(session, acting=Acting(north, north_manager), operator=staff.supervisor,
                     now=desk.clock.now())
    now = desk.clock.now()
    with reading(desk.engine) as session:
        reader = Acting(north, staff.supervisor)
        page = views.queue(session, acting=reader, now=now, view="all_open")
        assert [row.id for row in page.rows] == [there.id]
        assert [row.id for row in views.search_requests(
            session, acting=reader, query="问路", now=now)] == [there.id]
        card = views.request_card(session, acting=reader, request_id=there.id or 0, now=now)
        assert card.may_change is False and card.steps == []
        assert card.contact_phone == "138****1111"  # personal data stays with its desk
        # The site's own manager is offered the steps of the same card.
        own = views.request_card(session, acting=Acting(north, north_manager),
                                 request_id=there.id or 0, now=now)
        assert own.may_change is True and own.steps
        assert own.contact_phone == "13800001111"
        # An operator of the other site, granted nothing, reads none of it.
        stranger = Acting(north, staff.operator)
        for read in (lambda: views.queue(session, acting=stranger, now=now),
                     lambda: views.search_requests(session, acting=stranger, query="问路",
                                                   now=now),
                     lambda: views.request_card(session, acting=stranger,
                                                request_id=there.id or 0, now=now)):
            with pytest.raises(AuthError) as refused:
                read()
            assert "may not read site north" in refused.value.message

"""The handover (F7) driven by keys: started from the ledgers, settled, taken over,
counted, signed with two PINs and sealed, in at most 60 keys besides the typed text."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from textual.pilot import Pilot

from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.handover import Handover, HandoverState
from deskapp.screens.handover.handover import CountInput, HandoverScreen
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.handover import handovers
from deskapp.services.requests import lifecycle
from tests.screens.handover.test_duty_log_screen import screen_text
from tests.screens.helpers import burst, settle, sign_in
from tests.services.handover.test_assembly import due_at


def requests_due(desk: Desk, *, urgent: int, watch: int, routine: int) -> None:
    """王芳's open repairs: overdue, due before the next shift ends, due in three days."""
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        wang = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        made = [lifecycle.create_request(session, acting=Acting(desk.site_id, wang),
                                         settings=desk.settings,
                                         now=now, kind="repair",
                                         contact_name="张伟", contact_phone="13812345678",
                                         summary=f"{n}号楼道灯不亮").id
                for n in range(urgent + watch + routine)]
    for index, request_id in enumerate(made):
        if index < urgent:
            due_at(desk, request_id, now - timedelta(hours=1))
        elif index < urgent + watch:
            due_at(desk, request_id, now + timedelta(hours=2))
        else:
            due_at(desk, request_id, now + timedelta(days=3))


class Keys:
    """Keys pressed, counted; typed text (a contingency, an explanation) sent apart."""

    def __init__(self, pilot: Pilot[None]) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        """Sent as one burst, as a hurried operator types them: nothing may be lost."""
        self.count += len(keys)
        await burst(self.pilot, *keys)

    async def type(self, text: str) -> None:
        await burst(self.pilot, *text)


def handover_screen(app: DeskApp) -> HandoverScreen:
    screen = app.screen
    assert isinstance(screen, HandoverScreen), screen
    return screen


async def test_twenty_items_and_eight_public_items_sealed_in_sixty_keys(staffed: Desk) -> None:
    requests_due(staffed, urgent=1, watch=4, routine=15)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        keys = Keys(pilot)
        await keys.press("f7", "ctrl+n")
        screen = handover_screen(app)
        assert screen.view is not None and len(screen.view.items) == 20
        assert "is urgent and not done" in screen_text(app)
        # The urgent item (first row): a supervisor carries it, with a reason and a PIN.
        await keys.press("u")
        await keys.type("工程部明早上门")
        await keys.press("enter", "enter", *"1234", "enter")
        # Each watch and urgent item gets its contingency; the cursor moves on by itself.
        for _item in range(5):
            await keys.press("e")
            await keys.type("若业主再来电，先报主管并致歉")
            await keys.press("ctrl+s")
        assert "needs its contingency" not in screen_text(app)
        # The incoming operator (李娜, the first offered) takes the items over.
        await keys.press("i", "enter")
        await keys.press(*["enter"] * 5, "a")
        assert "not yet taken" not in screen_text(app)
        # Eight public items counted; the radios are one short and explained.
        await keys.press("tab")
        assert screen.view is not None
        for public in screen.view.counts:
            counted = public.expected - 1 if public.name == "对讲机" else public.expected
            await keys.press(*str(counted), "enter")
        assert "对讲机: counted 3, expected 4" in screen_text(app)
        await keys.press("ctrl+e")
        await keys.type("一台送修，工程部已签收")
        await keys.press("ctrl+s")
        assert "Nothing stops the seal" in screen_text(app)
        # Two PINs: the outgoing operator's, then the incoming operator's.
        await keys.press("ctrl+s", *"1234", "enter", *"1234", "enter")
        shown = screen_text(app)
        assert "Handover sealed" in shown and "No handover is open" in shown
    assert keys.count <= 60, keys.count
    with reading(staffed.engine) as session:
        [sealed] = session.exec(select(Handover)).all()
        assert sealed.state == HandoverState.SEALED.value
        assert handovers.verify_seals(session) == []


async def test_a_wrong_pin_is_refused_in_the_dialog_and_nobody_has_signed(staffed: Desk) -> None:
    requests_due(staffed, urgent=0, watch=0, routine=1)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="handover")
        await pilot.press("ctrl+n")
        await settle(pilot)
        counts = handover_screen(app).view.counts  # type: ignore[union-attr]
        await burst(pilot, "i", "enter", "a", "tab",
                    *[key for public in counts for key in (*str(public.expected), "enter")])
        # Both PINs in one burst, as a hurried pair types them: the outgoing one is wrong.
        await burst(pilot, "ctrl+s", *"9999", "enter", *"1234", "enter")
        assert "Wrong sign-in name or PIN" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "Nothing stops the seal" in screen_text(app)
    with reading(staffed.engine) as session:
        kept = handovers.open_handover(session, acting=Acting(staffed.site_id))
        assert kept is not None
        assert (kept.outgoing_signed_at, kept.incoming_signed_at) == (None, None)


async def test_without_an_open_handover_no_step_key_acts(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="handover")
        for key in ("e", "a", "r", "u", "i", "ctrl+e", "ctrl+s", "enter", "p", "v", "d", "f"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, HandoverScreen), key  # no dialog opened
            assert "No handover is open. ctrl+n starts" in screen_text(app), key
    with reading(staffed.engine) as session:
        assert handovers.open_handover(session, acting=Acting(staffed.site_id)) is None


async def test_a_handover_in_progress_comes_back_after_a_restart(staffed: Desk) -> None:
    requests_due(staffed, urgent=0, watch=1, routine=0)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="handover")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await burst(pilot, *"业主若来电，告知明早维修", "ctrl+s")
    again = DeskApp(staffed)
    async with again.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "li", at="handover")
        shown = screen_text(again)
        assert "Outgoing: 王芳" in shown and "业主若来电" in shown
        await pilot.press("ctrl+n")  # a second one is not started: the key is off
        await settle(pilot)
    with reading(staffed.engine) as session:
        assert len(session.exec(select(Handover)).all()) == 1


def sealed_with_a_refusal(desk: Desk) -> int:
    """A handover sealed through the services: two routine requests, one refused."""
    requests_due(desk, urgent=0, watch=0, routine=2)
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        wang = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        handover = handovers.start(session, acting=Acting(desk.site_id, wang), now=now,
                                   settings=desk.settings)
        handover_id = handover.id or 0
        handovers.name_incoming(session, acting=Acting(desk.site_id, wang), handover_id=handover_id,
                                login="li", now=now)
        first, second = handovers.items_of(session, handover_id)
        handovers.take_item(session, acting=Acting(desk.site_id), handover_id=handover_id,
                            item_id=first.id or 0, accept=True, now=now)
        handovers.take_item(session, acting=Acting(desk.site_id), handover_id=handover_id,
                            item_id=second.id or 0, accept=False, reason="不是我负责的楼栋",
                            now=now)
        for public in handovers.counts_of(session, handover_id):
            handovers.count(session, acting=Acting(desk.site_id), handover_id=handover_id,
                            count_id=public.id or 0, counted=public.expected, now=now)
        for side, login in (("outgoing", "wang"), ("incoming", "li")):
            handovers.sign(session, acting=Acting(desk.site_id), handover_id=handover_id, side=side,
                           login=login, pin="1234", now=now, settings=desk.settings)
    return handover_id


async def test_the_supervisor_prints_settles_reviews_and_adds_to_a_sealed_handover(
    staffed: Desk,
) -> None:
    handover_id = sealed_with_a_refusal(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "zhao", at="handover")
        shown = screen_text(app)
        assert "No handover is open" in shown and "not reviewed yet" in shown  # not reviewed
        await pilot.press("p")
        await settle(pilot)
        assert "Sheet saved:" in screen_text(app)
        prints = list((staffed.settings.data_dir / "prints").glob(f"handover-{handover_id}-*"))
        assert sorted(path.suffix for path in prints) == [".pdf", ".txt"]
        await pilot.press("f", "1")
        await settle(pilot)
        await burst(pilot, *"已改派刘师傅跟进", "ctrl+s")
        assert "Refused item settled" in screen_text(app)
        await pilot.press("v")
        await settle(pilot)
        await burst(pilot, *"交接完整", "ctrl+s")
        await pilot.press("d")
        await settle(pilot)
        await burst(pilot, *"补记：雨伞一把借给住户", "ctrl+s")
        shown = screen_text(app)
        assert "Addendum kept" in shown and "not reviewed yet" not in shown
    with reading(staffed.engine) as session:
        assert handovers.refused_waiting(session, acting=Acting(staffed.site_id)) == []
        assert handovers.unreviewed(session, acting=Acting(staffed.site_id)) == []
        assert [a.text for a in handovers.addenda_of(session, handover_id)] == [
            "补记：雨伞一把借给住户"]
        assert handovers.verify_seals(session) == []


async def test_shift_u_lets_the_supervisor_carry_every_urgent_item_at_once(
    staffed: Desk,
) -> None:
    requests_due(staffed, urgent=3, watch=0, routine=1)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="handover")
        await pilot.press("ctrl+n")
        await settle(pilot)
        view = handover_screen(app).view
        assert view is not None and "is urgent and not done" in screen_text(app)
        assert sum("is urgent and not done" in b.message for b in view.blockers) == 3
        await pilot.press("U")
        await settle(pilot)
        await burst(pilot, *"工程部明早统一处理", "enter", "enter", *"1234", "enter")
        assert "is urgent and not done" not in screen_text(app)
        view = handover_screen(app).view
        assert view is not None
        assert [item.carried_by_id is not None for item in view.items] == [True] * 3 + [False]


async def test_f12_on_the_handover_redraws_it_in_chinese(staffed: Desk) -> None:
    requests_due(staffed, urgent=0, watch=1, routine=1)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="handover")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        shown = screen_text(app)
        assert "交班人：王芳" in shown and "钥匙柜" in shown and "关注" in shown
        await pilot.press("f2", "f7", "f12")
        await settle(pilot)
        assert "Outgoing: 王芳" in screen_text(app)


async def test_counts_typed_in_a_burst_are_all_kept_and_a_bad_one_is_refused_in_place(
    staffed: Desk,
) -> None:
    requests_due(staffed, urgent=0, watch=0, routine=1)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="handover")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("i", "enter", "tab")
        await settle(pilot)
        await burst(pilot, "1", "enter", "4", "enter", *"3.5", "enter")
        shown = screen_text(app)
        assert "a whole number, 0 or more" in shown
        focused = app.focused
        assert isinstance(focused, CountInput) and focused.value == "3.5"
        await burst(pilot, "ctrl+u", "1", "enter")  # retyped in place
        view = handover_screen(app).view
        assert view is not None
        assert [c.counted for c in view.counts[:3]] == [1, 4, 1]


async def test_keys_typed_while_a_dialog_saves_go_to_the_screen_it_closes_onto(
    staffed: Desk,
) -> None:
    """Another desk holds the write lock for a moment: the incoming operator's dialog
    waits for it, and the keys typed meanwhile (accept the group, go to the counts,
    count one) are not lost in the dialog that is still closing."""
    import sqlite3
    import threading

    requests_due(staffed, urgent=0, watch=0, routine=2)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="handover")
        await pilot.press("ctrl+n")
        await settle(pilot)
        other_desk = sqlite3.connect(str(staffed.settings.data_dir / "desk.db"),
                                     isolation_level=None, check_same_thread=False)
        other_desk.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.4, lambda: other_desk.execute("ROLLBACK"))
        release.start()
        try:
            await burst(pilot, "i", "enter", "a", "tab", "1", "enter")
        finally:
            release.join()
            other_desk.close()
        view = handover_screen(app).view
        assert view is not None and view.incoming_name == "李娜"
        assert [item.decision for item in view.items] == ["accepted", "accepted"]
        assert view.counts[0].counted == 1

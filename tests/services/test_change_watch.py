"""The change watch: a cheap look that tells a desk another one committed, on both engines
(SQLite's data_version, PostgreSQL's LISTEN/NOTIFY), and stays quiet for a rollback."""

from __future__ import annotations

import pytest

from deskapp.db import ChangeWatch, transaction
from deskapp.desk import Desk
from deskapp.services import directory
from deskapp.services.acting import Acting


def _unit(desk: Desk, code: str) -> None:
    with transaction(desk.engine) as session:
        directory.add_unit(session, acting=Acting(desk.site_id), code=code, now=desk.clock.now())


def test_a_commit_is_seen_once_and_a_rollback_not_at_all(desk: Desk) -> None:
    watch = ChangeWatch(desk.engine)
    try:
        assert watch.changed() is False  # the first look takes the starting point
        _unit(desk, "1-1-101")
        assert watch.changed() is True
        assert watch.changed() is False  # seen once
        _unit(desk, "1-1-102")
        _unit(desk, "1-1-103")
        assert watch.changed() is True  # two commits since the last look: one answer
        assert watch.changed() is False
        with pytest.raises(RuntimeError), transaction(desk.engine) as session:
            directory.add_unit(session, acting=Acting(desk.site_id), code="1-1-104",
                               now=desk.clock.now())
            raise RuntimeError("the desk's power went")
        assert watch.changed() is False  # nothing was committed
    finally:
        watch.close()

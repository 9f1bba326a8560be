"""Times typed at the desk: 14:30 today, 11-24 09:00, a full date; bad ones refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskapp.errors import InvalidInput
from deskapp.formatting import desk_zone, parse_local_time

ZONE = desk_zone("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("14:30", datetime(2026, 11, 23, 6, 30, tzinfo=UTC)),
        ("14：30", datetime(2026, 11, 23, 6, 30, tzinfo=UTC)),
        ("11-24 09:00", datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),
        ("2027-01-02  00:00", datetime(2027, 1, 1, 16, 0, tzinfo=UTC)),
    ],
)
def test_times_are_read_in_the_desks_zone(typed: str, expected: datetime) -> None:
    assert parse_local_time(typed, now=NOW, zone=ZONE, field="due") == expected


def test_empty_is_none() -> None:
    assert parse_local_time("  ", now=NOW, zone=ZONE, field="due") is None


@pytest.mark.parametrize("typed", ["tomorrow", "25:00", "2-30 10:00", "14.30"])
def test_what_is_not_a_time_is_refused_for_its_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_local_time(typed, now=NOW, zone=ZONE, field="due")
    assert refused.value.field == "due"

"""English counts agree with their number ("1 parcel", "2 parcels"); Chinese has one form."""

from __future__ import annotations

from deskapp import i18n
from deskapp.i18n import N_, counted

ONE, MANY = N_("1 parcel checked in"), N_("{count} parcels checked in")


def test_one_thing_is_singular_and_more_are_plural() -> None:
    assert counted(1, ONE, MANY) == "1 parcel checked in"
    assert counted(2, ONE, MANY) == "2 parcels checked in"
    assert counted(0, ONE, MANY) == "0 parcels checked in"


def test_chinese_counts_read_the_same_either_way() -> None:
    i18n.set_language("zh_CN")
    try:
        assert counted(1, ONE, MANY) == "已入库 1 件"
        assert counted(2, ONE, MANY) == "已入库 2 件"
    finally:
        i18n.set_language("en")

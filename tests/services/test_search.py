"""Free-text search: Chinese substrings of two characters and more, Latin parts of words,
digits, several words, re-indexing, sites, hostile queries, and the same hits as LIKE."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text as sql

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.services import search, sites
from deskapp.services.acting import Acting

REQUEST = "request"


def _index(desk: Desk, texts: dict[int, str], *, site_id: int | None = None,
           entity: str = REQUEST) -> None:
    with transaction(desk.engine) as session:
        for entity_id, text in texts.items():
            search.index_record(
                session, acting=Acting(site_id or desk.site_id), entity=entity,
                entity_id=entity_id, text=text,
            )


def _find(desk: Desk, query: str, *, limit: int = 50, site_id: int | None = None,
          entity: str = REQUEST) -> list[int]:
    with reading(desk.engine) as session:
        return search.search_ids(
            session, acting=Acting(site_id or desk.site_id), entity=entity, query=query, limit=limit
        )


# --- pairs: pure ---


def test_pairs_overlap_within_a_run_only() -> None:
    assert search.pairs("卫生间漏水") == "卫生 生间 间漏 漏水"
    assert search.pairs("停水，电梯") == "停水 电梯"
    assert search.pairs("水，电") == "水 电"


def test_pairs_lower_case_latin_and_digits_and_full_width() -> None:
    assert search.pairs("Kitchen LEAK") == "ki it tc ch he en le ea ak"
    assert search.pairs("3-2-1201") == "3 2 12 20 01"
    assert search.pairs("１２０１室") == "12 20 01 1室"


def test_pairs_of_nothing_to_index() -> None:
    assert search.pairs("") == ""
    assert search.pairs(" ，。!?-_*\"") == ""


# --- the index ---


def test_two_chinese_characters_find_the_word_and_not_its_characters_apart(desk: Desk) -> None:
    _index(desk, {1: "卫生间漏水", 2: "水管漏了", 3: "漏 水", 4: "漏，水", 5: "水漏"})
    assert _find(desk, "漏水") == [1]


def test_a_word_inside_a_longer_text(desk: Desk) -> None:
    _index(desk, {1: "三号楼电梯坏了", 2: "电话打不通", 3: "楼梯灯不亮"})
    assert _find(desk, "电梯") == [1]
    assert _find(desk, "号楼电梯坏") == [1]
    assert _find(desk, "电梯坏了吗") == []


def test_pairs_do_not_cross_punctuation_or_spaces(desk: Desk) -> None:
    _index(desk, {1: "停水，电梯也停了", 2: "水 电", 3: "本月水电费"})
    assert _find(desk, "水电") == [3]
    assert _find(desk, "水电费") == [3]


def test_one_character_finds_every_text_with_it_up_to_the_limit(desk: Desk) -> None:
    _index(desk, {1: "卫生间漏水", 2: "水管漏了", 3: "电梯坏了", 4: "漏"})
    assert _find(desk, "漏") == [4, 2, 1]
    assert _find(desk, "漏", limit=2) == [4, 2]
    assert _find(desk, "A") == []


def test_english_whole_word_part_of_word_any_case(desk: Desk) -> None:
    _index(desk, {1: "Kitchen LEAK under the sink", 2: "Noise at night", 3: "leaking roof"})
    assert _find(desk, "leak") == [3, 1]
    assert _find(desk, "eak") == [3, 1]
    assert _find(desk, "Kitchen") == [1]
    assert _find(desk, "NIGHT") == [2]
    assert _find(desk, "sinks") == []


def test_room_number_and_phone_tail(desk: Desk) -> None:
    _index(desk, {
        1: "3-2-1201 楼上噪音",
        2: "3-2-1202 联系电话 138-1234-5678",
        3: "12-1-301 联系电话13900001234",
        4: "1-2-01 12 号",
    })
    assert _find(desk, "1201") == [1]
    assert _find(desk, "3-2-1201") == [1]
    assert _find(desk, "5678") == [2]  # pairs 56 67 78, within the run "5678"
    assert _find(desk, "1234") == [3, 2]
    assert _find(desk, "01234") == [3]
    assert _find(desk, "12") == [4, 3, 2, 1]


def test_a_room_code_is_one_phrase_not_three_loose_words(desk: Desk) -> None:
    _index(desk, {
        1: "3-2-1201 楼上噪音",
        2: "13-2-1201 漏水",
        3: "5-1-1201 联系电话13800002233",
        4: "3/2/1201室 门禁卡",
        5: "3-2-12 储藏室",
    })
    assert _find(desk, "3-2-1201") == [4, 1]
    assert _find(desk, "3－2－1201") == [4, 1]  # full-width dashes from a Chinese keyboard
    assert _find(desk, "3-2-1") == [5, 4, 1]  # typed so far: the last digit begins a longer run
    assert _find(desk, "3-2-12") == [5, 4, 1]
    assert _find(desk, "2-1201") == [4, 2, 1]


def test_punctuation_inside_a_query_word(desk: Desk) -> None:
    _index(desk, {1: "停水，电梯也停了", 2: "水电费"})
    assert _find(desk, "停水，电梯") == [1]
    assert _find(desk, "停水，电") == [1]
    assert _find(desk, "水，电") == []  # a lone first character matches a whole run only


def test_a_nul_character_in_the_text_is_dropped(desk: Desk) -> None:
    _index(desk, {1: "卫生间\x00漏水"})
    assert _find(desk, "漏水") == [1]


def test_several_words_must_all_be_found(desk: Desk) -> None:
    _index(desk, {1: "3-2-1201 卫生间漏水", 2: "3-2-1202 卫生间漏水", 3: "3-2-1201 电梯坏了"})
    assert _find(desk, "漏水 1201") == [1]
    assert _find(desk, "1201  电梯") == [3]
    assert _find(desk, "漏水 1202 电梯") == []
    assert _find(desk, "漏 1201") == [1]  # one character mixed with a pair term
    assert _find(desk, "漏 卫") == [2, 1]  # one character terms only


def test_reindexing_replaces_the_old_text(desk: Desk) -> None:
    _index(desk, {7: "卫生间漏水"})
    _index(desk, {7: "电梯坏了"})
    assert _find(desk, "漏水") == []
    assert _find(desk, "漏") == []
    assert _find(desk, "电梯") == [7]
    with reading(desk.engine) as session:
        count = session.execute(sql("SELECT count(*) FROM search_text")).scalar_one()
    assert count == 1


def test_reindexing_with_the_same_text_keeps_it_found(desk: Desk) -> None:
    _index(desk, {7: "卫生间漏水"})
    _index(desk, {7: "卫生间漏水"})
    assert _find(desk, "漏水") == [7]


def test_a_dropped_record_is_no_longer_found(desk: Desk) -> None:
    _index(desk, {1: "卫生间漏水", 2: "厨房漏水"})
    with transaction(desk.engine) as session:
        search.drop_record(session, acting=Acting(desk.site_id), entity=REQUEST, entity_id=1)
        search.drop_record(session, acting=Acting(desk.site_id), entity=REQUEST, entity_id=99)
    assert _find(desk, "漏水") == [2]
    assert _find(desk, "卫") == []


def test_index_and_search_in_one_transaction(desk: Desk) -> None:
    with transaction(desk.engine) as session:
        search.index_record(session, acting=Acting(desk.site_id), entity=REQUEST, entity_id=5,
                            text="电梯坏了")
        assert search.search_ids(
            session, acting=Acting(desk.site_id), entity=REQUEST, query="电梯"
        ) == [5]


def test_a_rolled_back_index_leaves_nothing(desk: Desk) -> None:
    with pytest.raises(RuntimeError), transaction(desk.engine) as session:
        search.index_record(session, acting=Acting(desk.site_id), entity=REQUEST, entity_id=5,
                            text="电梯坏了")
        raise RuntimeError("the record failed to save")
    assert _find(desk, "电梯") == []


def test_sites_and_entities_are_apart(desk: Desk) -> None:
    with transaction(desk.engine) as session:
        north = sites.ensure_site(session, code="north", name="北区", now=desk.clock.now())
        north_id = north.id
    assert north_id is not None
    _index(desk, {1: "卫生间漏水"})
    _index(desk, {1: "厨房漏水", 2: "阳台漏水"}, site_id=north_id)
    _index(desk, {3: "钥匙漏在前台"}, entity="custody")
    assert _find(desk, "漏水") == [1]
    assert _find(desk, "漏水", site_id=north_id) == [2, 1]
    assert _find(desk, "漏") == [1]
    assert _find(desk, "漏", entity="custody") == [3]
    assert _find(desk, "漏水", entity="custody") == []


@pytest.mark.parametrize("query", [
    '"', '""', "'", "*", "漏*", "-", "- 漏水", "-漏水", "(", ")", "(漏水", "漏水)",
    "NEAR", "NEAR(漏水 电梯)", "漏水 AND", "AND 漏水", "OR", "NOT", "漏水 OR 电梯",
    "^漏水", "pairs:漏水", "{pairs}: 漏水", "漏水 + 电梯", "%", "_", "%漏%", "\\", ";--",
    "漏水'); DROP TABLE search_text; --", "\x00", "　", "\u200b",
])
def test_query_syntax_is_never_syntax(desk: Desk, query: str) -> None:
    _index(desk, {1: "卫生间漏水", 2: "NEAR the lift", 3: "sand and water"})
    found = _find(desk, query)
    assert found == [] or set(found) <= {1, 2, 3}
    assert _find(desk, "漏水") == [1]


def test_words_that_are_syntax_elsewhere_are_plain_words_here(desk: Desk) -> None:
    _index(desk, {1: "卫生间漏水", 2: "NEAR the lift", 3: "sand and water", 4: "floor"})
    assert _find(desk, "near") == [2]
    assert _find(desk, "AND") == [3]
    assert _find(desk, "OR") == [4]
    assert _find(desk, '"漏水"') == [1]
    assert _find(desk, "漏水*") == [1]


@pytest.mark.parametrize("query", ["", "   ", "，。、", "--", "*"])
def test_an_empty_query_finds_nothing(desk: Desk, query: str) -> None:
    _index(desk, {1: "卫生间漏水"})
    assert _find(desk, query) == []


def test_a_limit_of_zero_finds_nothing(desk: Desk) -> None:
    _index(desk, {1: "卫生间漏水"})
    assert _find(desk, "漏水", limit=0) == []


def test_newest_first_and_the_limit(desk: Desk) -> None:
    _index(desk, {entity_id: f"{entity_id}号 漏水" for entity_id in (5, 1, 9, 3, 7)})
    assert _find(desk, "漏水") == [9, 7, 5, 3, 1]
    assert _find(desk, "漏水", limit=2) == [9, 7]


def test_a_too_long_query_is_refused_with_the_field(desk: Desk) -> None:
    assert _find(desk, "漏" * search.MAX_QUERY_LENGTH) == []
    with pytest.raises(InvalidInput) as refused:
        _find(desk, "漏" * (search.MAX_QUERY_LENGTH + 1))
    assert refused.value.field == "query"
    with pytest.raises(InvalidInput) as too_many:
        _find(desk, " ".join(str(n) for n in range(search.MAX_QUERY_TERMS + 1)))
    assert too_many.value.field == "query"


def test_a_ten_thousand_character_text_is_found_at_its_end(desk: Desk) -> None:
    common = "的了是在有人这中大为上个国我以要他"
    body = "".join(random.Random(3).choice(common) for _ in range(9996))
    _index(desk, {1: body + "电梯坏了"})
    assert _find(desk, "电梯坏了") == [1]
    assert _find(desk, body[5000:5020]) == [1]


def test_an_entity_name_that_is_not_a_name_is_a_programming_error(desk: Desk) -> None:
    with pytest.raises(ValueError), reading(desk.engine) as session:
        search.search_ids(session, acting=Acting(desk.site_id), entity="Request; --", query="漏水")


@pytest.mark.parametrize("window", [0, 7, search.NEWEST_WINDOW])
@pytest.mark.parametrize("limit", [1000, 3])
def test_same_hits_as_a_like_scan(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, window: int, limit: int
) -> None:
    """On a seeded random corpus from a small alphabet (many hits, many near misses),
    through the word index alone (window 0), the newest-records scan first, or both."""
    monkeypatch.setattr(search, "NEWEST_WINDOW", window)
    rng = random.Random(20261123)
    alphabet = "漏水电梯坏了卫生间ab12，。 -"
    texts = {n: "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
             for n in range(1, 301)}
    _index(desk, texts)
    words = "漏水电梯坏了卫生间ab12"
    queries = {"".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(150)}
    queries |= {"水电", "漏水", "电梯", "a", "1", "b1", "卫生间"}
    with reading(desk.engine) as session:
        for query in sorted(queries):
            found = search.search_ids(
                session, acting=Acting(desk.site_id), entity="request", query=query, limit=limit
            )
            like = session.execute(
                sql("SELECT entity_id FROM search_text WHERE site_id = :site AND entity = :entity"
                    " AND lower(text) LIKE :pattern ORDER BY entity_id DESC LIMIT :limit"),
                {"site": desk.site_id, "entity": REQUEST, "pattern": f"%{query}%",
                 "limit": limit},
            ).scalars().all()
            assert found == list(like), query
            expected = sorted((n for n, t in texts.items() if query in t), reverse=True)
            assert found == expected[:limit]


@pytest.mark.parametrize("window", [0, 2])
def test_room_codes_and_several_words_the_same_by_index_or_by_newest_scan(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(search, "NEWEST_WINDOW", window)
    _index(desk, {
        1: "3-2-1201 漏水", 2: "13-2-1201 漏水", 3: "3/2/1201室 漏水", 4: "3-2-12 漏水",
        5: "3-2-1201 电梯", 6: "3-2-1201漏水",
    })
    assert _find(desk, "3-2-1201", limit=2) == [6, 5]
    assert _find(desk, "3-2-1", limit=2) == [6, 5]
    assert _find(desk, "3-2-1 漏水", limit=2) == [6, 4]
    assert _find(desk, "1201 漏 3", limit=2) == [6, 3]
    assert _find(desk, "2-1201", limit=3) == [6, 5, 3]


@pytest.mark.parametrize("first, last", [(1, 1), (1, 4), (3, 16)])
def test_the_index_read_page_by_page_finds_what_a_like_scan_finds(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, first: int, last: int
) -> None:
    """Past the newest records, FTS5 is read newest row first a page at a time: pages of
    one row or a few give the same hits, other sites and entities between them."""
    monkeypatch.setattr(search, "NEWEST_WINDOW", 0)
    monkeypatch.setattr(search, "FIRST_PAGE", first)
    monkeypatch.setattr(search, "LAST_PAGE", last)
    other = _other_site(desk)
    rng = random.Random(20261203)
    texts = {n: rng.choice(["窗户关不上", "漏水", "窗户 关不上", "窗户关不上 3-2-1201"])
             for n in range(1, 121)}
    for entity_id, body in texts.items():  # interleaved: each row followed by strays
        _index(desk, {entity_id: body})
        _index(desk, {entity_id: body}, site_id=other)
        _index(desk, {entity_id: body}, entity="duty_log")
    for query, limit in (("窗户关不上", 7), ("窗户关不上", 1000), ("关不上 1201", 5),
                         ("漏水 窗", 3), ("火警", 5)):
        words = query.split()
        expected = sorted((n for n, body in texts.items()
                           if all(word in body for word in words)), reverse=True)[:limit]
        assert _find(desk, query, limit=limit) == expected, query


def _other_site(desk: Desk) -> int:
    with transaction(desk.engine) as session:
        site = sites.ensure_site(session, code="other", name="其他", now=desk.clock.now())
        assert site.id is not None
        return site.id

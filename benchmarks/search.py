"""Search on a million requests: the pairs index beside a LIKE scan, same run, same texts.

    .venv/bin/python benchmarks/search.py [--rows N] [--repeat R] [--pg URL]
    .venv/bin/python benchmarks/search.py --desk [--rows N] [--repeat R]

``--desk`` measures what the queue's search box calls, ``views.search_requests``
(lookups by room, phone digits and request number, Chinese words and phrases,
rows included), on a desk database of N requests built through the project's
schema and cached in ~/.cache/deskapp-bench/ (built once: a few minutes). It
prints p50 / p95 per query, with the goal beside it (lookups < 10 ms, words
< 20 ms). Without ``--desk``:

Builds N (default 1,000,000) request texts made of desk phrases (room code,
caller, place, problem, note, phone) in a temporary SQLite file, and in
PostgreSQL when ``--pg URL`` or DESKAPP_BENCH_DATABASE_URL names a database
whose name ends in ``_bench`` (its public schema is dropped and recreated).
Then prints, per query term: the rows containing it, the median time of
``search.search_ids`` (limit 50, newest first) and of the reference
``text LIKE '%term%' ORDER BY entity_id DESC LIMIT 50``, and per group of terms
the median and 95th percentile. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import insert
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine, make_url

from deskapp import migrate
from deskapp.db import make_engine, reading, transaction
from deskapp.services import search
from deskapp.services.acting import Acting

SEED = 20261123
BATCH = 50_000
SEARCH_REVISION = "0002"

WHO = ["业主", "租户", "住户", "王先生", "李女士", "张阿姨", "刘师傅", "陈小姐", "赵大爷", "孙女士"]
PLACES = [
    "卫生间", "厨房", "阳台", "客厅", "主卧", "次卧", "楼道", "地下车库", "电梯厅", "单元门口",
    "小区东门", "垃圾房", "楼顶", "地下室", "儿童乐园", "快递柜旁", "南门岗亭", "绿化带",
]
# (problem, weight): common complaints often, a few rare ones seldom.
PROBLEMS = [
    ("漏水", 100), ("渗水", 40), ("下水道堵塞", 40), ("跳闸停电", 30), ("没有热水", 25),
    ("电梯故障", 40), ("电梯困人", 8), ("噪音扰民", 60), ("门禁卡失灵", 30), ("路灯不亮", 25),
    ("有异味", 20), ("车位被占", 40), ("快递丢失", 15), ("宠物扰民", 15), ("墙面开裂", 10),
    ("窗户关不上", 10), ("暖气不热", 30), ("乱停车", 30), ("装修噪音", 30), ("垃圾未清运", 20),
    ("燃气报警", 0.2), ("马蜂窝", 0.05), ("水管爆裂", 2),
]
NOTES = [
    "请尽快派人维修", "业主情绪激动", "已通知工程部", "下午在家", "要求回电", "第二次报修",
    "已派单", "请保安处理", "业主不在家，钥匙在前台", "周末上门", "已拍照留存", "要求主管回复",
]
TEMPLATES = [
    "{code} {who}来电：{place}{problem}，{note}。联系电话{phone}",
    "{who}反映{code}{place}{problem}，{note}",
    "{code}{place}{problem} {who} {phone}",
]

# (group, term): terms an operator types. "3-2-1201" is one phrase of runs.
TERMS = [
    ("2 chars", "漏水"), ("2 chars", "电梯"), ("2 chars", "噪音"), ("2 chars", "燃气"),
    ("2 chars", "蜂窝"), ("2 chars", "火警"),
    ("3 chars", "卫生间"), ("3 chars", "门禁卡"), ("3 chars", "马蜂窝"), ("3 chars", "水管爆"),
    ("4 chars", "电梯困人"), ("4 chars", "墙面开裂"), ("4 chars", "燃气报警"),
    ("4 chars", "厨房漏水"),
    ("room/phone", "1201"), ("room/phone", "3-2-1201"), ("room/phone", "5678"),
    ("2 words", "漏水 1201"),
    ("1 char", "漏"),
]


def texts(rows: int) -> Iterator[str]:
    rng = random.Random(SEED)
    problems = [problem for problem, _ in PROBLEMS]
    weights = [weight for _, weight in PROBLEMS]
    drawn = rng.choices(problems, weights, k=rows)
    for number in range(rows):
        building, entrance = rng.randint(1, 30), rng.randint(1, 4)
        code = f"{building}-{entrance}-{rng.randint(1, 33)}{rng.randint(1, 4):02d}"
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        yield rng.choice(TEMPLATES).format(
            code=code, who=rng.choice(WHO), place=rng.choice(PLACES), problem=drawn[number],
            note=rng.choice(NOTES), phone=phone,
        )


def batches(rows: int) -> Iterator[list[tuple[int, str, int, str, str]]]:
    batch = []
    for entity_id, body in enumerate(texts(rows), start=1):
        batch.append((1, "request", entity_id, body, search.pairs(body)))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def migrate_to_search(engine: Engine) -> None:
    """Only up to the search index: the later migrations are not needed here."""
    command.upgrade(migrate.alembic_config(engine), SEARCH_REVISION)
    with engine.begin() as connection:
        connection.execute(sql(
            "INSERT INTO site (code, name, is_demo, created_at)"
            " VALUES ('bench', 'bench', false, '2026-11-23 02:00:00+00')"
        ))


def build_sqlite(path: Path, rows: int) -> float:
    engine = make_engine(f"sqlite:///{path}")
    migrate_to_search(engine)
    engine.dispose()
    start = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")  # a bulk load; the desk runs FULL
    connection.execute("BEGIN")
    for batch in batches(rows):
        connection.executemany(
            "INSERT INTO search_text (site_id, entity, entity_id, text, pairs)"
            " VALUES (?, ?, ?, ?, ?)", batch,
        )  # the triggers of migration 0002 fill search_fts
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()
    return time.perf_counter() - start


def build_postgresql(url: str, rows: int) -> float:
    database = make_url(url).database or ""
    if not database.endswith("_bench"):
        sys.exit(f"Refusing to wipe {database!r}: use a database whose name ends in _bench.")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sql("DROP SCHEMA public CASCADE"))
        connection.execute(sql("CREATE SCHEMA public"))
    migrate_to_search(engine)
    start = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        copy_sql = "COPY search_text (site_id, entity, entity_id, text, pairs) FROM STDIN"
        with cursor.copy(copy_sql) as copy:
            for batch in batches(rows):
                for row in batch:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sql("VACUUM ANALYZE search_text")
        )
    engine.dispose()
    return time.perf_counter() - start


def timed(action: object, repeat: int) -> tuple[list[float], object]:
    samples = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return samples, result


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(engine: Engine, repeat: int) -> None:
    like_sql = sql(
        "SELECT entity_id FROM search_text WHERE site_id = 1 AND entity = 'request'"
        " AND text LIKE :pattern ORDER BY entity_id DESC LIMIT 50"
    )
    count_sql = sql("SELECT count(*) FROM search_text WHERE text LIKE :pattern")
    groups: dict[str, tuple[list[float], list[float]]] = {}
    print(f"{'term':<12}{'rows with it':>13}{'search ms':>11}{'LIKE ms':>10}  same 50")
    with reading(engine) as session:
        search.search_ids(session, acting=Acting(1), entity="request", query="漏水")  # warm up
        for group, term in TERMS:
            words = term.split()
            like_words = [f"%{word}%" for word in words]

            def by_index(term: str = term) -> list[int]:
                return search.search_ids(session, acting=Acting(1), entity="request", query=term)

            def by_like(patterns: list[str] = like_words) -> list[int]:
                found: list[int] | None = None
                for pattern in patterns:  # several words: the first word's scan, then filter
                    ids = list(session.execute(like_sql, {"pattern": pattern}).scalars())
                    found = ids if found is None else [i for i in found if i in set(ids)]
                return found or []

            fast, fast_ids = timed(by_index, repeat)
            slow, slow_ids = timed(by_like, max(3, repeat // 3))
            hits = session.execute(count_sql, {"pattern": like_words[0]}).scalar_one()
            same = "yes" if fast_ids == slow_ids else "no"
            if len(words) > 1 or "-" in term:
                # Not the same question: several words; a room code as one phrase of
                # runs (3-2-1201 does not find 13-2-1201, LIKE does).
                same = "n/a"
            shown = f"{hits:,}" if len(words) == 1 else ""
            print(f"{term:<12}{shown:>13}"
                  f"{statistics.median(fast):>11.2f}"
                  f"{statistics.median(slow):>10.1f}  {same}")
            fast_all, slow_all = groups.setdefault(group, ([], []))
            fast_all.extend(fast)
            slow_all.extend(slow)
    print()
    print(f"{'group':<12}{'search median':>14}{'p95':>8}{'LIKE median':>13}{'p95':>8}  (ms)")
    for group, (fast, slow) in groups.items():
        print(f"{group:<12}{statistics.median(fast):>14.2f}{percentile(fast, 0.95):>8.2f}"
              f"{statistics.median(slow):>13.1f}{percentile(slow, 0.95):>8.1f}")


# --- --desk: the service the queue calls, on a desk database -------------------------

CACHE = Path.home() / ".cache" / "deskapp-bench"
DESK_START = datetime(2016, 12, 1, tzinfo=UTC)
DESK_YEARS = timedelta(days=3652)
CALLERS = 20_000  # residents who call: each phone comes back about 50 times in a decade


def desk_folder(rows: int) -> Path:
    return CACHE / f"search-desk-{rows}-{SEED}"


def build_desk(folder: Path, rows: int) -> float:
    """A desk of ``rows`` requests over ten years, through the migrations and the
    services' own derived data: the phone tail, the request number and the search
    text (``lifecycle.searchable_text``: number, unit, caller, summary, wish)."""
    from deskapp.config import load_settings
    from deskapp.desk import open_desk
    from deskapp.models import Resident, Unit
    from deskapp.models.requests import ServiceRequest
    from deskapp.services import operators
    from deskapp.services.acting import Acting

    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("desk.db*"):
        stale.unlink()
    desk = open_desk(load_settings(data_dir=folder, site_code="main",
                                   password_hash_profile="cheapest"))
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    with transaction(desk.engine) as session:
        owner = operators.add_operator(
            session, acting=Acting(desk.site_id), login="wangfang", display_name="王芳",
            role="operator", secret="1111", now=now)
        owner_id = owner.id
    codes = [f"{b}-{e}-{f}{r:02d}" for b in range(1, 31) for e in range(1, 5)
             for f in range(1, 34) for r in range(1, 3)]
    with desk.engine.begin() as connection:
        connection.execute(insert(Unit.__table__), [  # type: ignore[attr-defined]
            {"site_id": desk.site_id, "code": code, "building": code.split("-")[0],
             "entrance": code.split("-")[1], "room": code.split("-")[2], "created_at": now}
            for code in codes])
    callers = []
    for _caller in range(CALLERS):
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        callers.append((rng.randrange(1, len(codes) + 1), rng.choice(WHO[3:]), phone))
    with desk.engine.begin() as connection:
        connection.execute(insert(Resident.__table__), [  # type: ignore[attr-defined]
            {"site_id": desk.site_id, "unit_id": unit_id, "name": name + str(number),
             "relation": "owner", "phone": phone, "phone_tail": phone[-4:],
             "created_at": now}
            for number, (unit_id, name, phone) in enumerate(callers)])
    problems = [problem for problem, _ in PROBLEMS]
    weights = [weight for _, weight in PROBLEMS]
    step = DESK_YEARS / rows
    day_counts: dict[str, int] = {}
    batch: list[dict[str, object]] = []
    texts_batch: list[tuple[int, str, int, str, str]] = []

    def flush() -> None:
        with desk.engine.begin() as connection:
            connection.execute(insert(ServiceRequest.__table__), batch)  # type: ignore[attr-defined]
            connection.exec_driver_sql(
                "INSERT INTO search_text (site_id, entity, entity_id, text, pairs)"
                " VALUES (?, ?, ?, ?, ?)", texts_batch)
        batch.clear()
        texts_batch.clear()

    for index in range(rows):
        received = DESK_START + step * index
        local_day = (received + timedelta(hours=8)).strftime("%y%m%d")
        day_counts[local_day] = sequence = day_counts.get(local_day, 0) + 1
        unit_id, name, phone = callers[rng.randrange(CALLERS)]
        problem = rng.choices(problems, weights)[0]
        place = rng.choice(PLACES)
        summary = f"{place}{problem}，{rng.choice(NOTES)}"
        status = rng.choice(["received", "assigned", "resolved", "closed", "closed", "closed"])
        number_text = f"{local_day}-{sequence:04d}"
        batch.append({
            "site_id": desk.site_id, "number": number_text, "received_at": received,
            "unit_id": unit_id, "contact_name": name, "contact_phone": phone,
            "contact_phone_tail": phone[-4:], "kind": "repair", "summary": summary,
            "wish": "尽快处理", "department_reply": "", "result": "", "status": status,
            "is_open": status not in ("resolved", "closed"), "owner_id": owner_id,
            "created_at": received, "updated_at": received,
        })
        body = "\n".join([number_text, codes[unit_id - 1], name, summary, "尽快处理"])
        texts_batch.append((desk.site_id, "request", index + 1, body, search.pairs(body)))
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    desk.engine.dispose()
    # No ANALYZE here: a desk's file has none either, until the desk opens it
    # (``db.ensure_statistics``).
    return time.perf_counter() - started


def desk_queries(engine: Engine) -> list[tuple[str, str, str]]:
    """(what, query, goal) typed at the queue, from the data itself."""
    with engine.connect() as connection:
        number, phone, code = connection.execute(sql(
            "SELECT r.number, r.contact_phone, u.code FROM service_request r"
            " JOIN unit u ON u.id = r.unit_id ORDER BY r.id DESC LIMIT 1 OFFSET 5000"
        )).one()
    return [
        ("room", code, "lookup"),
        ("room prefix", code.rsplit("-", 1)[0] + "-1", "lookup"),
        ("room 3-2-601", "3-2-601", "lookup"),
        ("phone tail", phone[-4:], "lookup"),
        ("phone, whole", phone, "lookup"),
        ("number", number, "lookup"),
        ("number of a day", number.split("-")[0] + "-", "lookup"),
        ("2 chars", "漏水", "words"),
        ("2 chars", "电梯", "words"),
        ("3 chars", "马蜂窝", "words"),
        ("5 chars", "窗户关不上", "words"),
        ("5 chars", "下水道堵塞", "words"),
        ("no hit", "火警", "words"),
        ("2 words", "漏水 卫生间", "words"),
        ("name", "王先生", "words"),
    ]


def measure_desk(engine: Engine, repeat: int) -> None:
    from deskapp.services.acting import Acting
    from deskapp.services.requests import views

    goals = {"lookup": 10.0, "words": 20.0}
    now = datetime.now(UTC)
    print(f"{'query':<16}{'typed':<16}{'found':>6}{'p50 ms':>9}{'p95 ms':>9}  goal")
    with reading(engine) as session:
        views.search_requests(session, acting=Acting(1), query="漏水", now=now)  # warm up
        for what, query, goal in desk_queries(engine):
            samples, found = timed(
                lambda query=query: views.search_requests(session, acting=Acting(1), query=query,
                                                          now=now, limit=50), repeat)
            p95 = percentile(samples, 0.95)
            verdict = "ok" if p95 < goals[goal] else "MISS"
            print(f"{what:<16}{query:<16}{len(found):>6}"  # type: ignore[arg-type]
                  f"{statistics.median(samples):>9.2f}{p95:>9.2f}  < {goals[goal]:.0f} {verdict}")


def main_desk(rows: int, repeat: int) -> None:
    folder = desk_folder(rows)
    if not (folder / "built").exists():
        seconds = build_desk(folder, rows)
        (folder / "built").write_text(f"{seconds:.0f} s\n")
        print(f"built {rows:,} requests in {seconds:.0f} s, {folder / 'desk.db'}")
    from deskapp.config import load_settings
    from deskapp.desk import open_desk

    desk = open_desk(load_settings(data_dir=folder, site_code="main",
                                   password_hash_profile="cheapest"))
    print(f"{rows:,} requests in {folder / 'desk.db'} (SQLite {sqlite3.sqlite_version})")
    measure_desk(desk.engine, repeat)
    desk.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--pg", default=os.environ.get("DESKAPP_BENCH_DATABASE_URL", ""))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--desk", action="store_true",
                        help="views.search_requests on a cached desk database")
    options = parser.parse_args()
    if options.desk:
        main_desk(options.rows, max(options.repeat, 20))
        return
    print(f"{options.rows:,} request texts, e.g. {next(texts(1))}")
    if not options.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            seconds = build_sqlite(path, options.rows)
            print(f"\nSQLite {sqlite3.sqlite_version}: built in {seconds:.1f} s"
                  f" (pairs + insert + FTS5), file {path.stat().st_size / 2**20:.0f} MiB")
            engine = make_engine(f"sqlite:///{path}")
            measure(engine, options.repeat)
            engine.dispose()
    if options.pg:
        seconds = build_postgresql(options.pg, options.rows)
        engine = make_engine(options.pg)
        with engine.connect() as connection:
            version = connection.execute(sql("SHOW server_version")).scalar_one()
            size = connection.execute(
                sql("SELECT pg_total_relation_size('search_text')")
            ).scalar_one()
        print(f"\nPostgreSQL {version}: built in {seconds:.1f} s (pairs + COPY + tsvector + GIN"
              f" + VACUUM ANALYZE), table with indexes {size / 2**20:.0f} MiB")
        measure(engine, options.repeat)
        engine.dispose()


if __name__ == "__main__":
    main()

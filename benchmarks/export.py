"""A full export of a decade of requests, beside the sqlite3 shell reading the same rows.

    .venv/bin/python benchmarks/export.py [--rows N] [--events E] [--repeat R] [--keep DIR]

Builds a desk database through the project's own schema (the migrations) in a
temporary folder: N requests (default 1,000,000) with E timeline events each
(default 6), over ten years, with Chinese summaries and real-looking phones, a
few of them typed as formulas. Then, R times each (default 3), in separate processes:

- ``deskapp export requests --out FILE``: the whole history, masked and with formula
  cells neutralised, as a person runs it (start-up included);
- the reference: ``sqlite3 -csv -header`` reading the same columns and joins
  (unit code, owner's sign-in name) from the same file, nothing masked.

It prints the median time and peak memory (max RSS) of each, and their ratio, then the
nightly export of one busy day in the middle of the decade. It asserts nothing;
issue 17 names the targets (at most 1.2 times the shell, under 150 MB; a busy day
under a second).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from deskapp.config import load_settings
from deskapp.db import transaction
from deskapp.desk import open_desk
from deskapp.models import Unit
from deskapp.models.requests import RequestEvent, ServiceRequest
from deskapp.services import operators
from deskapp.services.acting import Acting

SEED = 20261201
BATCH = 20_000
START = datetime(2016, 12, 1, tzinfo=UTC)
DECADE = timedelta(days=3652)

SUMMARIES = [
    "卫生间天花板漏水，怀疑楼上防水层破损，已经两天了", "电梯停在12楼不动，里面没有人",
    "楼下商铺夜里装修噪音很大，影响休息", "地下车库B2入口的灯坏了三盏", "门禁卡失灵，刷卡没有反应",
    "小区东门垃圾桶满了没人清理", "窗户关不上，把手松动", "燃气表箱门被撞坏",
    '=HYPERLINK("http://example.invalid","点这里")', "-1", "+86 希望尽快回电",
]
KINDS = ["repair", "complaint", "inquiry", "help", "praise"]
STATUSES = ["received", "assigned", "in_progress", "resolved", "closed"]
CHANNELS = ["phone", "walk_in", "wechat"]
NAMES = ["王洋", "郭平", "林文博", "张伟", "李娜", "刘洋", "陈静", "杨帆"]

REFERENCE_SQL = """
SELECT r.number, r.received_at, u.code, r.contact_name, r.contact_phone, r.channel, r.kind,
       r.subject, r.summary, r.wish, r.nature, r.complaint_subject, r.severity, r.status,
       o.login, r.department, r.assignee, r.next_due_at, r.resolved_at, r.closed_at,
       r.voided_reason, r.updated_at
FROM service_request r LEFT JOIN unit u ON u.id = r.unit_id
LEFT JOIN operator o ON o.id = r.owner_id
ORDER BY r.id;
"""


def build(folder: Path, rows: int, events: int) -> Path:
    (folder / "settings.toml").write_text('password_hash_profile = "cheapest"\n')
    desk = open_desk(load_settings(data_dir=folder, site_code="main"))
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    with transaction(desk.engine) as session:
        operator = operators.add_operator(
            session, acting=Acting(desk.site_id), login="wangfang", display_name="王芳",
            role="operator", secret="1111", now=now)
        owner_id = operator.id
    units = [f"{b}-{e}-{f}{r:02d}" for b in range(1, 31) for e in range(1, 5)
             for f in range(1, 34) for r in range(1, 3)]
    with desk.engine.begin() as connection:
        connection.execute(insert(Unit.__table__), [  # type: ignore[attr-defined]
            {"site_id": desk.site_id, "code": code, "building": code.split("-")[0],
             "entrance": code.split("-")[1], "room": code.split("-")[2],
             "created_at": now} for code in units])
    step = DECADE / rows

    def requests() -> Iterator[dict[str, object]]:
        for index in range(rows):
            received = START + step * index
            status = rng.choice(STATUSES)
            yield {
                "site_id": desk.site_id, "number": f"{received:%y%m%d}-{index % 10000:04d}",
                "received_at": received, "unit_id": rng.randrange(1, len(units) + 1),
                "contact_name": rng.choice(NAMES),
                "contact_phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                "channel": rng.choice(CHANNELS), "kind": rng.choice(KINDS),
                "subject": "", "summary": rng.choice(SUMMARIES), "wish": "尽快处理",
                "department_reply": "", "result": "",
                "status": status, "is_open": status not in ("resolved", "closed"),
                "owner_id": owner_id, "assignee": "李师傅",
                "resolved_at": received + timedelta(hours=20) if status in (
                    "resolved", "closed") else None,
                "created_at": received, "updated_at": received + timedelta(hours=26),
            }

    def timeline() -> Iterator[dict[str, object]]:
        for index in range(rows):
            received = START + step * index
            for line in range(events):
                yield {"site_id": desk.site_id, "request_id": index + 1,
                       "at": received + timedelta(hours=line * 4), "operator_id": owner_id,
                       "kind": "note", "details": "已联系工程部，师傅下午上门"}

    for table, source in ((ServiceRequest.__table__, requests()),  # type: ignore[attr-defined]
                          (RequestEvent.__table__, timeline())):  # type: ignore[attr-defined]
        batch: list[dict[str, object]] = []
        for row in source:
            batch.append(row)
            if len(batch) == BATCH:
                with desk.engine.begin() as connection:
                    connection.execute(insert(table), batch)
                batch = []
        if batch:
            with desk.engine.begin() as connection:
                connection.execute(insert(table), batch)
    desk.engine.dispose()
    return folder / "desk.db"


def measured(command: list[str], out: Path) -> tuple[float, int]:
    """Seconds and peak memory (KB) of one run in a child of its own."""
    probe = ("import resource, subprocess, sys, time\n"
             "start = time.perf_counter()\n"
             "with open(sys.argv[1], 'wb') as out:\n"
             "    subprocess.run(sys.argv[2:], stdout=out, check=True)\n"
             "print(time.perf_counter() - start,"
             " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    result = subprocess.run([sys.executable, "-c", probe, str(out), *command],
                            capture_output=True, text=True, check=True)
    seconds, peak = result.stdout.split()
    return float(seconds), int(peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database here")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="deskapp-export-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "desk.db"
    if not database.exists():
        began = time.perf_counter()
        build(folder, options.rows, options.events)
        print(f"built {options.rows:,} requests and {options.rows * options.events:,} events "
              f"in {time.perf_counter() - began:.0f} s ({database.stat().st_size / 1e6:,.0f} MB)")
    deskapp = str(Path(sys.executable).with_name("deskapp"))
    runs: dict[str, list[tuple[float, int]]] = {"sqlite3 -csv": [], "deskapp export": []}
    for _round in range(options.repeat):
        runs["sqlite3 -csv"].append(measured(
            ["sqlite3", "-csv", "-header", str(database), REFERENCE_SQL], folder / "ref.csv"))
        runs["deskapp export"].append(measured(
            [deskapp, "--data-dir", str(folder), "export", "requests", "--out",
             str(folder / "requests.csv")], folder / "stdout.txt"))
    rows = sum(1 for _line in (folder / "ref.csv").open(encoding="utf-8")) - 1
    print(f"{rows:,} requests (the reference's lines; summaries have no line breaks)")
    reference = statistics.median(seconds for seconds, _peak in runs["sqlite3 -csv"])
    for name, figures in runs.items():
        seconds = statistics.median(second for second, _peak in figures)
        peak = max(peak for _second, peak in figures)
        print(f"{name:<16} {seconds:7.2f} s  (runs: "
              f"{', '.join(f'{second:.2f}' for second, _peak in figures)})  "
              f"peak {peak / 1024:6.0f} MB  ratio {seconds / reference:4.2f}x")
    day = (START + DECADE / 2).date().isoformat()  # a day in the middle of the decade
    nightly = [measured([deskapp, "--data-dir", str(folder), "export", "nightly", "--date",
                         day, "--out", str(folder / "nightly")], folder / "nightly.txt")
               for _round in range(options.repeat)]
    manifest = (folder / "nightly" / "main" / day / "manifest.csv").read_text(encoding="utf-8")
    records = sum(int(line.split(",")[1]) for line in manifest.splitlines()[1:])
    print(f"nightly export of {day} ({records:,} rows in all files): "
          f"{statistics.median(second for second, _peak in nightly):.2f} s, "
          f"peak {max(peak for _second, peak in nightly) / 1024:.0f} MB (target: under 1 s)")
    peak_memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"(this script itself: peak {peak_memory / 1024:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

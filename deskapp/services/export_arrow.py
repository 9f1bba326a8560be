"""The requests and their timeline, a decade at a time, at the speed of the sqlite3 shell.

A range export of the two biggest ledgers reads Arrow record batches through the ADBC
driver of its engine (SQLite's, or PostgreSQL's, which reads with COPY) and writes
them with Arrow's CSV or Parquet writer: the cells are computed a column at a time in
C++ (local time, masking, formula neutralising), not a cell at a time in Python.
``benchmarks/export.py`` measures it beside ``sqlite3 -csv``.

It writes the same cells as the row-by-row writer in ``services/export.py``, which
stays the reference (and the path for workbooks and for every other ledger); a test
holds the two to the same cells on awkward values, on both engines. The rules are the
same rules, written for columns:

- a timestamp is the desk's local time with its offset, to the minute (``local_text``);
- a ``…phone`` column is masked as ``privacy.mask_phone`` masks;
- a cell that starts like a formula, and is not a plain number, gets a leading ``'``
  (``export.safe_cell``, whose number test is the same pattern).

The statement is built with SQLAlchemy and compiled for the engine (no SQL typed here);
every column is CAST to text, because the driver takes a column's type from its first
batch. Arrow is imported only when such an export runs: the desk never loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, cast, func, or_
from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine

from deskapp.db import sqlite_path
from deskapp.models import Operator, Unit
from deskapp.models.requests import RequestEvent, ServiceRequest
from deskapp.services.acting import Acting
from deskapp.services.export import FORMULA_STARTS, NUMBER_PATTERN, Window

FAST_LEDGERS = ("requests", "request_events")
BATCH_ROWS = 2000
"""Rows per Arrow batch: the peak stays near 140 MB at any length (a million requests:
2,000 rows 140 MB, 5,000 rows 151 MB, 50,000 rows 240 MB, at about the same speed)."""

_FORMULA_FIRST: Any = None
"""The first characters of a formula, as an Arrow array (made on first use)."""

_TIME = "time"
_PHONE = "phone"
_TEXT = "text"


def available(engine: Engine, ledger: str, file_format: str) -> bool:
    """Whether this export can take the Arrow path: a big ledger, as CSV or Parquet,
    on a SQLite file or on PostgreSQL (each through its ADBC driver)."""
    return (ledger in FAST_LEDGERS and file_format in ("csv", "parquet")
            and (sqlite_path(engine) is not None or engine.dialect.name == "postgresql"))


def _connect(engine: Engine) -> tuple[Any, dict[str, str]]:
    """An ADBC connection to the engine's database (the file, or the server's URI) and
    the options its statements take."""
    database = sqlite_path(engine)
    if database is not None:
        import adbc_driver_sqlite.dbapi as sqlite_adbc

        # Read-only, by URI: ADBC carries a SQLite of its own, which cannot see this
        # process's other connections (POSIX locks are per process). Opened read-write,
        # its close took itself for the last connection, checkpointed and deleted the
        # -wal and -shm files under the desk's own open connection, whose next write then
        # failed ("disk I/O error"). A read-only connection never checkpoints on close.
        return (sqlite_adbc.connect(database.resolve().as_uri() + "?mode=ro"),
                {"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
    import adbc_driver_postgresql.dbapi as postgresql_adbc

    uri = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return postgresql_adbc.connect(uri), {}


def _text(column: Any) -> Any:
    return func.coalesce(cast(column, String), "")


def _site(site_column: Any, window: Window) -> Any:
    """The site's column, written for the whole history so that no index serves it
    (``site_id + 0``).

    Every index begins with the site, so for the whole history SQLite would walk an
    index and then sort a million rows by id in a temporary tree; a scan of the table in
    its own order is the fastest way through a ledger read end to end. A range keeps the
    plain column: its time indexes begin with the site too."""
    return site_column + 0 if window.whole_history else site_column


def _statement(ledger: str, site_id: int, window: Window) -> tuple[Any, list[str], list[str]]:
    """The SELECT, the export's column keys, and how each column is computed."""
    request = ServiceRequest.__table__.c  # type: ignore[attr-defined]
    owner = Operator.__table__.alias("owner")  # type: ignore[attr-defined]
    unit = Unit.__table__.c  # type: ignore[attr-defined]
    if ledger == "requests":
        columns: list[tuple[str, str, Any]] = [
            ("number", _TEXT, request.number), ("received_at", _TIME, request.received_at),
            ("unit", _TEXT, unit.code), ("contact_name", _TEXT, request.contact_name),
            ("contact_phone", _PHONE, request.contact_phone),
            ("channel", _TEXT, request.channel), ("kind", _TEXT, request.kind),
            ("subject", _TEXT, request.subject), ("summary", _TEXT, request.summary),
            ("wish", _TEXT, request.wish), ("nature", _TEXT, request.nature),
            ("complaint_subject", _TEXT, request.complaint_subject),
            ("severity", _TEXT, request.severity), ("status", _TEXT, request.status),
            ("owner", _TEXT, owner.c.login), ("department", _TEXT, request.department),
            ("assignee", _TEXT, request.assignee),
            ("next_due_at", _TIME, request.next_due_at),
            ("resolved_at", _TIME, request.resolved_at),
            ("closed_at", _TIME, request.closed_at),
            ("voided_reason", _TEXT, request.voided_reason),
            ("updated_at", _TIME, request.updated_at),
        ]
        touched = [] if window.whole_history else [or_(
            and_(request.received_at >= window.since, request.received_at < window.until),
            and_(request.updated_at >= window.since, request.updated_at < window.until))]
        statement = (
            select_columns(*(_text(column).label(key) for key, _kind, column in columns))
            .select_from(ServiceRequest.__table__)  # type: ignore[attr-defined]
            .outerjoin(Unit.__table__, unit.id == request.unit_id)  # type: ignore[attr-defined]
            .outerjoin(owner, and_(owner.c.id == request.owner_id,
                                   owner.c.site_id == request.site_id))
            .where(_site(request.site_id, window) == site_id, *touched)
            .order_by(request.id)
        )
    else:
        event = RequestEvent.__table__.c  # type: ignore[attr-defined]
        operator = owner
        columns = [
            ("number", _TEXT, request.number), ("at", _TIME, event.at),
            ("operator", _TEXT, operator.c.login), ("event", _TEXT, event.kind),
            ("from_status", _TEXT, event.from_status), ("to_status", _TEXT, event.to_status),
            ("details", _TEXT, event.details),
        ]
        statement = (
            select_columns(*(_text(column).label(key) for key, _kind, column in columns))
            .select_from(RequestEvent.__table__)  # type: ignore[attr-defined]
            .join(ServiceRequest.__table__,  # type: ignore[attr-defined]
                  request.id == event.request_id)
            .outerjoin(operator, and_(operator.c.id == event.operator_id,
                                      operator.c.site_id == event.site_id))
            .where(_site(event.site_id, window) == site_id, *([] if window.whole_history else [
                event.at >= window.since, event.at < window.until]))
            .order_by(event.id)
        )
    return statement, [key for key, _kind, _column in columns], [
        kind for _key, kind, _column in columns]


def write_file(
    engine: Engine,
    *,
    acting: Acting,
    ledger: str,
    window: Window,
    path: Path,
    file_format: str,
    excel: bool,
    masked: bool,
    titles: Sequence[str],
    on_rows: Callable[[int], None] | None,
) -> int:
    """Write the ledger to ``path`` as CSV or Parquet; returns the rows written.

    Parquet is read by programs, not spreadsheets: its text is written as typed, with
    no ``'`` before a formula-like cell; personal data is masked all the same."""
    site_id = acting.site_id
    import pyarrow as pa  # only this export needs Arrow

    # The system allocator hands freed batches back at once; Arrow's default pool keeps
    # them (about 20 MB more at the peak of a million requests, measured).
    pa.set_memory_pool(pa.system_memory_pool())
    statement, _keys, kinds = _statement(ledger, site_id, window)
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    spreadsheet = file_format == "csv"
    rows = 0
    with path.open("wb") as handle:
        if excel:
            handle.write("\ufeff".encode())
        connected, options = _connect(engine)
        with connected as connection, connection.cursor() as cursor:
            if options:
                cursor.adbc_statement.set_options(**options)
            cursor.execute(sql)
            writer: Any = None
            for batch in _read_ahead(cursor.fetch_record_batch()):
                cells = [_computed(batch.column(index), kind, window, masked, spreadsheet)
                         for index, kind in enumerate(kinds)]
                shown = pa.RecordBatch.from_arrays(cells, names=list(titles))
                if writer is None:
                    writer = _writer(handle, shown.schema, file_format)
                writer.write_batch(shown)
                rows += shown.num_rows
                if on_rows is not None:
                    on_rows(shown.num_rows)
            if writer is None:  # nothing in the range: the header (the schema) alone
                schema = pa.schema([(title, pa.string()) for title in titles])
                writer = _writer(handle, schema, file_format)
            writer.close()
    return rows


def _writer(handle: Any, schema: Any, file_format: str) -> Any:
    if file_format == "parquet":
        import pyarrow.parquet as parquet

        return parquet.ParquetWriter(handle, schema)
    import pyarrow.csv as arrow_csv

    return arrow_csv.CSVWriter(handle, schema, write_options=arrow_csv.WriteOptions(
        eol="\r\n", quoting_header="none"))


def _read_ahead(reader: Any) -> Iterator[Any]:
    """The reader's batches, the next one read by a thread of its own while this one is
    computed and written: the driver and Arrow let go of the interpreter while they
    work, so reading and writing share the two cores. Two batches wait at most."""
    import queue
    import threading

    waiting: queue.Queue[Any] = queue.Queue(maxsize=2)
    done = object()
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in reader:
                while not stop.is_set():
                    try:
                        waiting.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put(done)
        except BaseException as error:  # handed to the writing side, raised there
            waiting.put(error)

    thread = threading.Thread(target=read, name="export-reader", daemon=True)
    thread.start()
    try:
        while (item := waiting.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _computed(column: Any, kind: str, window: Window, masked: bool,
              spreadsheet: bool) -> Any:
    if kind == _TIME:
        return _local_times(column, window)
    if kind == _PHONE and masked:
        column = _masked_phones(column)
    return _safe(column) if spreadsheet else column


def _local_times(column: Any, window: Window) -> Any:
    """``2026-11-26 01:14:00.000000`` (UTC, as stored) as ``2026-11-26T09:14+08:00``.

    Built from the local time cast to text and the offset of each instant (a zone with
    summer time has two), not with ``strftime``: four times faster at a million."""
    import pyarrow as pa
    import pyarrow.compute as pc

    instants = pc.strptime(pc.utf8_slice_codeunits(column, 0, 19),
                           format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    local = pc.local_timestamp(pc.cast(pc.assume_timezone(instants, "UTC"),
                                       pa.timestamp("s", tz=str(window.zone))))
    minutes = pc.utf8_replace_slice(
        pc.utf8_slice_codeunits(pc.cast(local, pa.string()), 0, 16), start=10, stop=11,
        replacement="T")
    offsets = pc.subtract(pc.cast(local, pa.int64()), pc.cast(instants, pa.int64()))
    seen = pc.unique(offsets).drop_null()
    names = pa.array([_offset_text(seconds) for seconds in seen.to_pylist()], pa.string())
    suffix = pc.take(names, pc.index_in(offsets, value_set=seen))
    return pc.fill_null(pc.binary_join_element_wise(minutes, suffix, ""), "")


def _offset_text(seconds: int) -> str:
    """An offset as ``isoformat`` writes it: ``+08:00``, ``-03:30``, ``+08:05:43``."""
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, rest = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{rest:02d}" if rest else "")


def _masked_phones(column: Any) -> Any:
    """``privacy.mask_phone`` for a column: the first 3 and last 4 of a long number
    kept, the rest starred; a short one keeps only its last 4."""
    import pyarrow.compute as pc

    length = pc.utf8_length(column)
    last_four = pc.utf8_slice_codeunits(column, -4)
    long = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(column, 0, 3),
        pc.binary_repeat("*", pc.max_element_wise(pc.subtract(length, 7), 0)), last_four, "")
    short = pc.binary_join_element_wise(
        pc.binary_repeat("*", pc.max_element_wise(pc.subtract(length, 4), 0)), last_four, "")
    return pc.if_else(pc.greater(length, 7), long, short)


def _safe(column: Any) -> Any:
    """``export.safe_cell`` for a column (most columns hold no such cell: one cheap look
    at the first characters spares them the patterns)."""
    import pyarrow.compute as pc

    global _FORMULA_FIRST
    if _FORMULA_FIRST is None:
        import pyarrow as pa

        _FORMULA_FIRST = pa.array(list(FORMULA_STARTS), pa.string())
    starts = pc.is_in(pc.utf8_slice_codeunits(column, 0, 1), value_set=_FORMULA_FIRST)
    if not pc.any(starts).as_py():
        return column
    risky = pc.and_(starts, pc.invert(pc.match_substring_regex(column,
                                                                f"^{NUMBER_PATTERN}$")))
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)

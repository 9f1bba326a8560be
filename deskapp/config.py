"""Settings of the desk: where the database lives and the numbers of the rules.

Values come from, in order of precedence: command-line options, environment
variables (``DESKAPP_*``), the settings file ``settings.toml`` in the data
folder, and the defaults below (the numbers of ../shared/domain.md).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from deskapp.errors import InvalidInput
from deskapp.i18n import _

PROJECT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def default_data_dir() -> Path:
    """The ``data/`` folder of a source checkout, else ``~/.local/share/deskapp``."""
    if PROJECT_DATA_DIR.is_dir():
        return PROJECT_DATA_DIR
    return Path.home() / ".local" / "share" / "deskapp"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    """Folder of the embedded database, its backups and ``settings.toml``."""

    database_url: str | None = None
    """SQLAlchemy URL; empty means the SQLite file ``desk.db`` in ``data_dir``."""

    language: str = "en"
    """Interface language: ``en`` or ``zh_CN``."""

    site_code: str = "main"
    """The property (物业项目) this desk serves; one database may hold several."""

    site_name: str = "Property Service Center"
    """Name of the site created on first start."""

    timezone: str = "Asia/Shanghai"
    """The desk's local time zone: times are stored in UTC and shown in this zone."""

    office_open: str = "08:00"
    """Start of office hours (办公时间)."""

    office_close: str = "18:00"
    """End of office hours."""

    max_failed_sign_ins: int = 5
    """Wrong PINs in a row before an operator is locked out."""

    lockout_minutes: int = 15
    """How long a lockout lasts; a supervisor can lift it earlier."""

    password_hash_profile: str = "desk"
    """``desk`` (argon2id, ~0.1 s per sign-in) or ``cheapest`` (tests only)."""

    dashboard_refresh_seconds: float = 30.0
    """How often the dashboard counts refresh themselves."""

    change_watch_seconds: float = 2.0
    """How often a desk looks whether another desk changed something (a cheap look, not a
    reload); 0 turns it off."""

    sqlite_busy_timeout_ms: int = 5000
    """How long a write waits for another desk's write before giving up."""

    # --- Working calendar (rules counted in working days or office hours) ---
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    """Days of the week the offices work (mon … sun)."""

    public_holidays: tuple[str, ...] = ()
    """Public holidays as ``YYYY-MM-DD``; no working day even on a weekday."""

    extra_working_days: tuple[str, ...] = ()
    """Weekend days worked in exchange for a holiday (调休), as ``YYYY-MM-DD``."""

    shift_starts: tuple[str, ...] = ("08:00", "16:00", "00:00")
    """When the desk's shifts begin; "due in the next shift" counts to the next start."""

    public_items: tuple[str, ...] = (
        "钥匙柜=1", "对讲机=4", "印章=1", "空白表单=1", "备用金箱=1", "雨伞=6", "手电筒=2",
        "急救箱=1",
    )
    """The desk's public items (公物) counted at every handover, as ``name=expected``."""

    # --- Requests (domain.md §1) ---
    department_reply_hours: int = 24
    """A department replies to the desk within this many hours of dispatch."""

    department_escalation_hours: int = 2
    """A department that must ask its superior reports back within this many hours."""

    resident_reply_hours: int = 24
    """The desk replies to the resident on a general matter within this many hours."""

    resident_reply_hours_major: int = 48
    """… and on a major one within this many hours."""

    deferred_answer_days: int = 3
    """What cannot be answered at once gets a result or explanation within these working days."""

    revisit_complaint_days: int = 3
    """A resolved complaint is revisited within this many days."""

    revisit_repair_days: int = 7
    """A repair, paid service or other work is revisited within this many days."""

    repeat_subject_residents: int = 3
    """Different residents with the same complaint subject that make it hot …"""

    repeat_subject_window_days: int = 30
    """… within this many days."""

    collective_hot_people: int = 3
    """A collective complaint of this many people is hot."""

    collective_major_people: int = 10
    """A collective complaint of this many people is major."""

    repeat_complaint_days: int = 90
    """A complaint of the same unit and subject this soon after one was closed is a repeat."""

    unresolved_hot_days: int = 7
    """A complaint unresolved this many days after receipt becomes hot."""

    unresolved_major_days: int = 30
    """A complaint unresolved this many days after receipt (our fault) becomes major."""

    technician_arrival_minutes: int = 15
    """A technician arrives within this many minutes of the appointment."""

    # --- Custody ledgers (domain.md §3, §5, §6, §7) ---
    storage_overdue_days: int = 7
    """Stored items held longer than this are flagged."""

    lost_found_notice_days: int = 7
    """The weekly notice of unclaimed found items stays posted this many days."""

    lost_found_disposal_months: int = 3
    """Unclaimed found items are disposed of after this many months."""

    parcel_overdue_days: int = 3
    """Parcels waiting longer than this are listed as uncollected."""

    # --- Release slips (domain.md §4) ---
    large_item_catalogue: tuple[str, ...] = (
        "沙发/sofa/couch", "茶几/tea table/coffee table", "办公桌/desk/office desk",
        "办公椅/office chair", "保险柜/safe/保险箱", "文件柜/file cabinet/filing cabinet",
        "衣柜/wardrobe", "餐桌/dining table", "床/bed/mattress/床垫", "书柜/bookcase",
        "电脑/computer/PC/laptop/笔记本电脑", "传真机/fax machine/fax", "复印机/copier/photocopier",
        "打印机/printer", "电视/TV/television/电视机", "音响/audio/speaker/stereo",
        "饮水机/water dispenser", "投影仪/projector", "扫描仪/scanner", "冰箱/fridge/refrigerator",
        "洗衣机/washing machine", "空调/air conditioner",
    )
    """Large items (大件物品) that leave only in office hours: each entry is
    ``中文名/English name/other names…``; a typed item containing any name is that item."""

    moving_out_notice_working_days: int = 3
    """A moving-out slip (迁出) is applied for this many working days before the move."""

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'desk.db'}"


SUPPORTED_LANGUAGES = ("en", "zh_CN")

_ENV_NAMES = {
    "database_url": "DESKAPP_DATABASE_URL",
    "language": "DESKAPP_LANG",
    "data_dir": "DESKAPP_DATA_DIR",
    "site_code": "DESKAPP_SITE",
}


def normalize_language(value: str) -> str:
    """Accept ``zh``, ``zh-CN``, ``zh_CN``, ``cn``, ``en``, ``en_US``..."""
    lowered = value.strip().replace("-", "_").lower()
    if lowered.startswith("zh") or lowered == "cn":
        return "zh_CN"
    if lowered.startswith("en"):
        return "en"
    raise InvalidInput(
        _("Unknown language {value}: use en or zh_CN.").format(value=value), field="language"
    )


def _coerce(name: str, raw: Any) -> Any:
    current = {f.name: f for f in fields(Settings)}[name]
    kind = current.type
    if name == "data_dir":
        return Path(str(raw)).expanduser()
    if name == "language":
        return normalize_language(str(raw))
    if kind == "tuple[str, ...]":
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        return tuple(str(item).strip() for item in items if str(item).strip())
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return str(raw)


def load_settings(**overrides: Any) -> Settings:
    """Settings from defaults, the settings file, the environment and ``overrides``."""
    values: dict[str, Any] = {}
    env_data_dir = os.environ.get("DESKAPP_DATA_DIR")
    data_dir = Path(overrides.get("data_dir") or env_data_dir or default_data_dir())
    settings_file = data_dir / "settings.toml"
    known = {f.name for f in fields(Settings)}
    if settings_file.is_file():
        try:
            with settings_file.open("rb") as handle:
                from_file = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InvalidInput(
                _("Cannot read {file}: {error}").format(file=settings_file, error=error)
            ) from error
        for key, raw in from_file.items():
            if key not in known:
                raise InvalidInput(
                    _("{file}: unknown setting {key}.").format(file=settings_file, key=key)
                )
            values[key] = _coerce(key, raw)
    for key, env_name in _ENV_NAMES.items():
        if os.environ.get(env_name):
            values[key] = _coerce(key, os.environ[env_name])
    for key, raw in overrides.items():
        if raw is not None:
            values[key] = _coerce(key, raw)
    values["data_dir"] = data_dir
    return replace(Settings(), **values)

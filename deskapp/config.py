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

    sqlite_busy_timeout_ms: int = 5000
    """How long a write waits for another desk's write before giving up."""

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

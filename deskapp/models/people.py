"""Operators of the desk, units of the property and the residents living there."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from deskapp.models.base import utcnow, version_column


class Role(StrEnum):
    """What an operator may do at the desk."""

    OPERATOR = "operator"  # 客服接待员 / 前台
    SUPERVISOR = "supervisor"  # 客服主管
    MANAGER = "manager"  # 服务中心经理
    GUARD = "guard"  # 值岗人员 / 保安


class Relation(StrEnum):
    """How a person is related to a unit."""

    OWNER = "owner"  # 业主
    TENANT = "tenant"  # 租户
    HOUSEHOLD = "household"  # 家属 / 住户


_OPERATOR_VERSION = version_column()


class Operator(SQLModel, table=True):
    """A person who signs in at the desk. Disabled, never deleted."""

    __table_args__ = (UniqueConstraint("site_id", "login", name="uq_operator_site_login"),)

    __mapper_args__ = {"version_id_col": _OPERATOR_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_OPERATOR_VERSION)
    site_id: int = Field(foreign_key="site.id", index=True)
    login: str = Field(max_length=32)
    display_name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    secret_hash: str = Field(max_length=255)
    active: bool = True
    failed_sign_ins: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


_UNIT_VERSION = version_column()


class Unit(SQLModel, table=True):
    """A unit of the property: building-entrance-room (楼栋-单元-房号), e.g. ``3-2-1201``."""

    __table_args__ = (UniqueConstraint("site_id", "code", name="uq_unit_site_code"),)

    __mapper_args__ = {"version_id_col": _UNIT_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_UNIT_VERSION)
    site_id: int = Field(foreign_key="site.id", index=True)
    code: str = Field(max_length=32, index=True)
    building: str = Field(max_length=8)
    entrance: str = Field(max_length=8)
    room: str = Field(max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


_RESIDENT_VERSION = version_column()


class Resident(SQLModel, table=True):
    """A person of a unit (owner 业主, tenant 租户, household 家属). Moved out, never deleted."""

    __mapper_args__ = {"version_id_col": _RESIDENT_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_RESIDENT_VERSION)
    site_id: int = Field(foreign_key="site.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str = Field(max_length=64, index=True)
    relation: str = Field(max_length=16)
    phone: str = Field(default="", max_length=20)
    phone_tail: str = Field(default="", max_length=4, index=True)
    alt_phone: str = Field(default="", max_length=20)
    alt_phone_tail: str = Field(default="", max_length=4, index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)

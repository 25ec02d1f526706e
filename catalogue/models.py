"""ORM models of the catalogue: institutions, courses, offerings, harvest sources and runs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Institution", "Course", "Offering", "HarvestSource", "HarvestRun"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONB, list[str]: ARRAY(Text)}


class Institution(Base):
    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    website: Mapped[str] = mapped_column(Text)
    # Its badge images' colour, #rrggbb (migration 0015); None: derived from the slug.
    colour: Mapped[str | None] = mapped_column(
        String(7), CheckConstraint("colour ~ '^#[0-9a-f]{6}$'", name="colour_hex"))


# The name OOAPI sorts courses by: the Dutch title, else the English one, lower-cased.
TITLE_SORT = "lower(coalesce(document->'title'->>'nl', document->'title'->>'en'))"


class Course(Base):
    __tablename__ = "course"
    __table_args__ = (
        UniqueConstraint("institution_id", "code"),
        # OOAPI pages through the live catalogue by name: the page, not the table, is read
        Index("ix_course_title_sort", "title_sort", "id", postgresql_where=text("NOT withdrawn")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    code: Mapped[str] = mapped_column(String(128))
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text, default="push")
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_changed: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    type: Mapped[str] = mapped_column(String(32))
    microcredential: Mapped[bool] = mapped_column(Boolean)
    ects: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    eqf_level: Mapped[int | None] = mapped_column(SmallInteger)
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text))
    mode: Mapped[str | None] = mapped_column(String(32))
    isced_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    title_sort: Mapped[str | None] = mapped_column(Text, Computed(TITLE_SORT, persisted=True))

    institution: Mapped[Institution] = relationship(lazy="raise")


class Offering(Base):
    """A projection of the document's offerings, for filters and 'next start' (the document rules)."""

    __tablename__ = "offering"

    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(128))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    city: Mapped[str | None] = mapped_column(Text)
    campus: Mapped[str | None] = mapped_column(Text)
    price_eur: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    language: Mapped[str | None] = mapped_column(String(8))
    mode: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(16))


class HarvestSource(Base):
    __tablename__ = "harvest_source"
    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    name: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    overwrite_push: Mapped[bool] = mapped_column(Boolean, default=False)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    institution: Mapped[Institution] = relationship(lazy="raise")


class HarvestRun(Base):
    """A run, and the job queue: ``queued`` → ``running`` → a final status (see catalogue.harvest.jobs)."""

    __tablename__ = "harvest_run"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_source.id", ondelete="CASCADE"))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    errors: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

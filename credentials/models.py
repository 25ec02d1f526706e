"""Tables of the credential registry: issuer keys, issued credentials, status lists, learners."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.models import Base

__all__ = [
    "Credential",
    "CredentialShare",
    "IssuerKey",
    "LearnerSession",
    "LearnerToken",
    "SignInLink",
    "StatusAllocation",
    "StatusList",
]


class IssuerKey(Base):
    """An institution's Ed25519 key; the newest signs, all stay in the DID document."""

    __tablename__ = "issuer_key"
    __table_args__ = (UniqueConstraint("institution_id", "key_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    public_multibase: Mapped[str] = mapped_column(Text)
    private_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Proofs created at or after this instant no longer verify (``keys revoke-signing``).
    revoked_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatusList(Base):
    """One Bitstring Status List of purpose ``message``: ``size`` entries of ``status_size``
    (2) bits, entry i in bits 2i (revoked) and 2i+1 (suspended), MSB-first in ``bits``."""

    __tablename__ = "status_list"
    __table_args__ = (
        UniqueConstraint("institution_id", "purpose", "seq"),
        CheckConstraint("purpose IN ('message')", name="purpose"),
        CheckConstraint("status_size = 2", name="status_size"),
        CheckConstraint("octet_length(bits) * 8 = size * status_size", name="bits_size"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    status_size: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    signed: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_version: Mapped[int | None] = mapped_column(BigInteger)


class StatusAllocation(Base):
    """A taken index of a list; the primary key makes concurrent allocations disjoint."""

    __tablename__ = "status_allocation"

    list_id: Mapped[int] = mapped_column(
        ForeignKey("status_list.id", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)


class Credential(Base):
    """An issued credential: ``document`` holds the exact bytes that were signed and returned."""

    __tablename__ = "credential"
    __table_args__ = (
        UniqueConstraint("institution_id", "idempotency_key"),
        UniqueConstraint("status_list_id", "status_index"),
        Index("ix_credential_learner_email", "learner_email", "created_at"),
        CheckConstraint("status IN ('valid', 'revoked', 'suspended')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    course_institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    course_code: Mapped[str] = mapped_column(String(128))
    learner_email: Mapped[str] = mapped_column(Text)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    ects: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    grade: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="valid")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_list.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(300))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LearnerToken(Base):
    __tablename__ = "learner_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID, unique=True, server_default=func.gen_random_uuid())
    email: Mapped[str] = mapped_column(Text)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_key.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(Text)


class CredentialShare(Base):
    __tablename__ = "credential_share"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credential.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    id: Mapped[uuid.UUID] = mapped_column(UUID, unique=True, server_default=func.gen_random_uuid())
    label: Mapped[str | None] = mapped_column(String(64))


class SignInLink(Base):
    """A one-time sign-in link (``credentials.signin``); ``email`` is NULL for an address
    that holds no credential (the request was answered alike, nothing was mailed)."""

    __tablename__ = "sign_in_link"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, server_default=func.gen_random_uuid())
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(Text)
    nonce_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LearnerSession(Base):
    __tablename__ = "learner_session"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, server_default=func.gen_random_uuid())
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

"""The one wire policy every msgspec Struct at an API boundary shares."""

from __future__ import annotations

import msgspec

__all__ = ["Struct", "json_encoder"]


class Struct(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Base for boundary types: unknown fields are errors, defaults are not echoed."""


json_encoder = msgspec.json.Encoder()

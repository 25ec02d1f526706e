"""The course catalogue: what partners publish, and how people and systems find it.

A course document flows through the package like this::

    bytes ─── validation ─▶ I-JSON values, then checked against schemas/course.schema.json
                            (every violation as a JSON pointer and a message)
    document ─ service ───▶ prepared rows, upserted with change detection; the search
                            stamp drawn in the same transaction (search.stamp)
    feed ───── harvest/ ──▶ fetched within a policy, mapped, and published like a push
    rows ───── courses ───▶ a course read back (document + registry facts, ETag)
             ─ search/ ───▶ ranked pages, facets, suggestions from an in-process index
             ─ ooapi/ ────▶ the same courses as Open Education API v5 objects

Beside them: ``models`` (the tables), ``structs`` (the wire types; ``wire.Struct`` and
``structs.OutStruct`` are the two bases), ``institutions``, ``errors`` (domain errors the
API maps to problem documents), ``hashing`` and ``demo``. The package takes a session and
plain arguments, flushes and never commits, and imports nothing from ``api`` or
``credentials``.
"""

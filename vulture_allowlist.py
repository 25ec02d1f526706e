"""Names vulture (`make lint`, [tool.vulture] in pyproject.toml) reports but that are used.

Each is a parameter a caller's signature requires, so it cannot go.
"""

consumer  # api/routes/ooapi.py: OOAPI v5's `consumer` query parameter, documented and ignored
channel  # credentials/status.py: asyncpg's listener callback signature (connection, pid, channel, payload)

"""The HTTP edge: Litestar app, settings, database wiring, CLI."""

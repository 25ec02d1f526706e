"""The HTTP edge: the Litestar app, its settings, database wiring and the ``academy`` CLI.

A request flows through it like this:

1. ``observability.RequestIdMiddleware`` names it (X-Request-ID) for the logs;
2. ``access.access_guard`` checks the route's rule (``opt=access(...)``): a partner key, a
   learner token or public, and counts the client's rate (``ratelimit``);
   ``queries.reject_null_queries`` refuses ``null`` for a typed query parameter;
3. ``db.provide_session`` opens the request's one transaction, with the signing keys of
   ``state`` bound to it;
4. the handler in ``routes/`` parses the input (msgspec Structs, ``pagination``) and calls
   the domain (``credentials``, ``catalogue``), CPU-heavy work going to ``jobs.CpuPool``;
5. the transaction commits after the handler, or rolls back on any error, which
   ``errors`` turns into an RFC 9457 problem document;
6. ``security.security_headers`` and the request id are added to the response.

``app.create_app`` wires this together; ``openapi`` completes the API document from the
routes; ``serve`` runs several server processes and ``jobs`` the harvest worker beside them.
"""

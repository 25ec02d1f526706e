"""A real HTTP server on loopback serving partner feeds: OOAPI v5 pages, JSON and CSV files.

It runs ``http.server`` in a thread, so the harvester talks to it over real sockets. The
OOAPI shapes follow ``Course``/``CourseOffering`` and ``Pagination`` of the v5 spec
(``pageSize``, ``pageNumber``, ``hasPreviousPage``, ``hasNextPage``, ``items``). A test
can break one page (``faults[(path, page)] = "500" | "malformed" | "slow"``), redirect a
path (``redirect``), serve a body with a ``Content-Encoding`` (``serve(..., encoding=)``),
hold every answer until it sets ``release`` (``hold()``), and listen on ``::1``
(``feed_server("::1")``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

__all__ = ["Feed", "feed_server", "ooapi_course", "ooapi_offering"]


def _texts(nl: str, en: str | None = None) -> list[dict[str, str]]:
    return [{"language": "nl-BE", "value": nl}] + ([{"language": "en-GB", "value": en}] if en else [])


def ooapi_course(code: str, nl: str, en: str | None = None, **extra: Any) -> dict[str, Any]:
    """An OOAPI v5 Course with every required property (and the ones we map)."""
    return {
        "courseId": str(uuid.uuid5(uuid.NAMESPACE_URL, code)),
        "primaryCode": {"codeType": "identifier", "code": code},
        "name": _texts(nl, en),
        "abbreviation": code,
        "description": _texts(f"Beschrijving van {nl}.", f"About {en}." if en else None),
        "teachingLanguage": "nld",
        "level": "bachelor",
        "studyLoad": {"studyLoadUnit": "ects", "value": 4},
        "modeOfDelivery": ["on campus", "online"],
        "fieldsOfStudy": "0913",
        "link": f"https://partner.example/courses/{code}",
        **extra,
    }


def ooapi_offering(code: str, start: str, end: str, city: str, **extra: Any) -> dict[str, Any]:
    """An OOAPI v5 CourseOffering with every required property (and the ones we map)."""
    return {
        "offeringId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"offering/{code}")),
        "primaryCode": {"codeType": "offeringCode", "code": code},
        "offeringType": "course",
        "name": _texts(f"Editie {code}"),
        "description": _texts(f"Editie {code}."),
        "teachingLanguage": "nld",
        "resultExpected": True,
        "startDate": start,
        "endDate": end,
        "enrollEndDate": start,
        "modeOfDelivery": ["on campus"],
        "addresses": [{"addressType": "postal", "city": "Brussel"},
                      {"addressType": "teaching", "city": city}],
        "priceInformation": [{"costType": "total costs", "amount": "450.00", "currency": "EUR"},
                             {"costType": "STAP eligible", "amount": "450.00", "currency": "EUR"}],
        "maxNumberStudents": 24,
        **extra,
    }


class Feed:
    """What the server serves; tests change it between harvests."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.courses: list[dict[str, Any]] = []
        self.offerings: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.encodings: dict[str, str] = {}
        self.redirects: dict[str, tuple[str, bytes]] = {}
        self.faults: dict[tuple[str, int], str] = {}
        self.requests: list[str] = []
        self.hosts: list[str] = []
        self.release: threading.Event | None = None
        self.waiting = threading.Semaphore(0)

    @property
    def ooapi_url(self) -> str:
        return f"{self.base_url}/ooapi"

    def add(self, course: dict[str, Any], *offerings: dict[str, Any]) -> None:
        self.courses.append(course)
        self.offerings[course["courseId"]] = list(offerings)

    def remove(self, code: str) -> None:
        self.courses = [c for c in self.courses if c["primaryCode"]["code"] != code]

    def serve(self, path: str, content_type: str, body: bytes, encoding: str | None = None) -> str:
        self.files[path] = (content_type, body)
        if encoding:
            self.encodings[path] = encoding
        return self.base_url + path

    def redirect(self, path: str, location: str, gzipped_body: bytes = b"") -> str:
        self.redirects[path] = (location, gzipped_body)
        return self.base_url + path

    def hold(self) -> threading.Event:
        """Every answer waits for the returned event (each waiting request signals ``waiting``)."""
        self.release = threading.Event()
        return self.release

    def respond(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        self.requests.append(path)
        if path in self.files:
            return 200, *self.files[path]
        size = int(query.get("pageSize", ["10"])[0])
        number = int(query.get("pageNumber", ["1"])[0])
        if path == "/ooapi/courses":
            items = self.courses
        elif path.startswith("/ooapi/courses/") and path.endswith("/offerings"):
            course_id = path.split("/")[3]
            if course_id not in self.offerings:
                return 404, "application/json", b'{"status": 404}'
            items = self.offerings[course_id]
        else:
            return 404, "application/json", b'{"status": 404}'
        fault = self.faults.get((path, number))
        if fault == "500":
            return 500, "application/json", b'{"status": 500, "title": "Internal Server Error"}'
        if fault == "slow":
            time.sleep(2)
        page = {"pageSize": size, "pageNumber": number, "hasPreviousPage": number > 1,
                "hasNextPage": number * size < len(items),
                "totalPages": max(1, -(-len(items) // size)),
                "items": items[(number - 1) * size: number * size]}
        body = json.dumps(page).encode()
        if fault == "malformed":
            body = body[: len(body) // 2]
        return 200, "application/json", body


class _Handler(BaseHTTPRequestHandler):
    feed: Feed

    def do_GET(self) -> None:
        url = urlparse(self.path)
        feed: Feed = self.server.feed  # type: ignore[attr-defined]
        feed.hosts.append(self.headers.get("Host", ""))
        if feed.release is not None:
            feed.waiting.release()
            feed.release.wait(60)
        if url.path in feed.redirects:
            feed.requests.append(url.path)
            location, body = feed.redirects[url.path]
            self.send_response(302)
            self.send_header("Location", location)
            if body:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the harvester does not read a redirect's body
            return
        status, content_type, body = feed.respond(url.path, parse_qs(url.query))
        try:
            self.send_response(status)
            if url.path in feed.encodings:
                self.send_header("Content-Encoding", feed.encodings[url.path])
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the harvester gave up waiting (the timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@contextmanager
def feed_server(host: str = "127.0.0.1") -> Iterator[Feed]:
    server = (_Server6 if ":" in host else ThreadingHTTPServer)((host, 0), _Handler)
    server.daemon_threads = True
    netloc = f"[{host}]" if ":" in host else host
    server.feed = Feed(f"http://{netloc}:{server.server_address[1]}")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server.feed  # type: ignore[attr-defined]
    finally:
        if server.feed.release is not None:  # type: ignore[attr-defined]
            server.feed.release.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
        thread.join()

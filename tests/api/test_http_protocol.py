"""One socket write per response: uvicorn with ``api.http_protocol`` on loopback.

The client counts the TCP segments that carried data to it (``TCP_INFO``'s
``tcpi_data_segs_in``, Linux 4.6+): uvicorn's own protocol sends a small response's head
and body as two, ours as one; a streamed body larger than the flush threshold still
arrives whole, and keep-alive still works.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.http_protocol import FLUSH_BYTES, CoalescingHttpProtocol

BODY = b'{"status":"ok"}'
CHUNK = b"x" * (FLUSH_BYTES // 2 + 1)
DATA_SEGS_IN = 152  # offset of tcpi_data_segs_in in struct tcp_info


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        for _ in range(5):
            await send({"type": "http.response.body", "body": CHUNK, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


@asynccontextmanager
async def serving(protocol: type[asyncio.Protocol]) -> AsyncIterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol,
                                           lifespan="off", log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


def data_segments(writer: asyncio.StreamWriter) -> int:
    info = writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(info) < DATA_SEGS_IN + 4:
        pytest.skip("this kernel's TCP_INFO has no tcpi_data_segs_in")
    return int(struct.unpack_from("I", info, DATA_SEGS_IN)[0])


async def get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> bytes:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    if b"transfer-encoding: chunked" in head.lower():
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if size == 0:
                return body
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return await reader.readexactly(length)


async def segments_per_response(protocol: type[asyncio.Protocol]) -> list[int]:
    async with serving(protocol) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        counts = []
        for _ in range(3):  # one keep-alive connection
            before = data_segments(writer)
            assert await get(reader, writer, "/") == BODY  # every byte of it has arrived
            counts.append(data_segments(writer) - before)
        writer.close()
        await writer.wait_closed()
    return counts


async def test_a_small_response_leaves_in_one_segment() -> None:
    assert await segments_per_response(CoalescingHttpProtocol) == [1, 1, 1]


async def test_uvicorns_own_protocol_sends_two() -> None:
    """The control: what the test above would see without ``api.http_protocol``."""
    assert await segments_per_response(HttpToolsProtocol) == [2, 2, 2]


async def test_a_streamed_body_past_the_flush_threshold_arrives_whole() -> None:
    async with serving(CoalescingHttpProtocol) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await get(reader, writer, "/stream") == CHUNK * 5
        assert await get(reader, writer, "/") == BODY  # and the connection lives on
        writer.close()
        await writer.wait_closed()

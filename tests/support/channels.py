"""Input channels served in this process, the way Rasa mounts them: a Sanic app on a free
loopback port with the channels registered under ``/webhooks/`` and an agent of the test's own
(``app.ctx.agent``), for tests of a channel without the Rasa server."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from rasa.core.channels.channel import InputChannel, register
from sanic import Sanic


@contextlib.asynccontextmanager
async def serve_channels(channels: Sequence[InputChannel], agent: Any) -> AsyncIterator[str]:
    """The channels on a Sanic server while the block runs: its base address.

    Sanic rewrites some of its methods at start-up and keeps the originals only in test mode:
    set ``Sanic.test_mode`` (pytest's ``monkeypatch``) to start several apps in one process."""
    app = Sanic(f"channels_{uuid.uuid4().hex[:12]}", configure_logging=False)
    app.ctx.agent = agent
    register(list(channels), app, route="/webhooks/")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()

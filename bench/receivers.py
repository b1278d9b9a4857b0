"""What stands in for a receiver in a benchmark: a bare ASGI app on 127.0.0.1, served from
a thread of the benchmark's own process."""

import threading
import time
from typing import Any

import uvicorn


async def read_body(receive: Any) -> bytes:
    """The whole body of an ASGI HTTP request, however many messages it came in."""
    body = b""
    while True:
        message = await receive()
        chunk: bytes = message.get("body", b"")
        body += chunk
        if not message.get("more_body"):
            return body


def serve_in_thread(app: Any, port: int) -> uvicorn.Server:
    """`app` on 127.0.0.1:`port`, answering once this returns; stop it with `should_exit`."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server

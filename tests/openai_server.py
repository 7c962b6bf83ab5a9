"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

`reply(request) -> Behaviour` decides each answer, so a test can script content or misbehaviour
(delays, HTTP errors with headers, malformed bodies, dropped connections). Every request body is kept.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Behaviour:
    content: str = ""  # the assistant message content
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0
    raw_body: bytes | None = None  # sent as is instead of a completion (malformed responses)
    drop: bool = False  # close the connection without answering


class OpenAICompatibleServer:
    def __init__(self, reply: Callable[[dict], Behaviour]):
        self.reply = reply
        self.requests: list[dict] = []
        self.model: str | None = None  # the model each reply says answered (default: the one requested)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    server.requests.append(body)
                behaviour = server.reply(body)
                if behaviour.delay_s:
                    time.sleep(behaviour.delay_s)
                if behaviour.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                payload = behaviour.raw_body if behaviour.raw_body is not None else json.dumps(
                    completion(body, behaviour.content, server.model)).encode() if behaviour.status == 200 else json.dumps(
                    {"error": {"message": f"status {behaviour.status}", "type": "test"}}).encode()
                self.send_response(behaviour.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for key, value in behaviour.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "OpenAICompatibleServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def completion(request: dict, content: str, model: str | None = None) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
        "model": model or request.get("model", "test"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
    }


def user_text(request: dict) -> str:
    return str(request["messages"][-1]["content"])

"""README: 'Proxies from the environment (HTTP(S)_PROXY) are not used for URL sources: they would connect
unchecked.' A proxy named in the environment must see no connection; the page is read directly."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from verify.documents import load_document


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"The river Meuse rose by two metres overnight near Namur."
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_proxy_from_the_environment_is_never_used_for_url_sources(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = socket.create_server(("127.0.0.1", 0))
    proxy.settimeout(0.5)
    connections = []

    def watch():
        try:
            conn, _ = proxy.accept()
            connections.append(conn)
            conn.close()
        except OSError:
            pass

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    proxy_url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, proxy_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VERIFY_ALLOW_PRIVATE_URLS", "1")  # the page is on 127.0.0.1
    try:
        doc = load_document(f"http://127.0.0.1:{server.server_address[1]}/report.txt")
    finally:
        server.shutdown()
        watcher.join(2)
        proxy.close()
    assert "river Meuse rose by two metres" in doc.text
    assert connections == []

"""Concurrency: judge 100 claims with --concurrency 16 against a local OpenAI-compatible server that
answers every chat completion after a fixed 200 ms; target wall time < 2x the ideal 100 x 0.2 s / 16.

    python bench/concurrency.py [--claims 100] [--concurrency 16] [--latency 0.2]

The server (http.server in a thread, 127.0.0.1, random port) replies with a valid judge JSON citing
the first evidence sentence. The claims go through the real path: `verify eval --mode paired` with
ChatOpenAI (Settings(model=..., base_url=...)), the structured-output parser and the SQLite call log
(LLM cache off, so every claim is a real request).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _shared import SEED_SET, dataset_path, machine

from verify.config import Settings
from verify.evaluation.run import EvalConfig, Evaluator


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.requests = 0


def handler_for(latency: float, stats: Stats):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real server

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            with stats.lock:
                stats.in_flight += 1
                stats.requests += 1
                stats.peak = max(stats.peak, stats.in_flight)
            try:
                time.sleep(latency)
                payload = json.dumps(completion(body)).encode()
            finally:
                with stats.lock:
                    stats.in_flight -= 1
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # quiet
            pass

    return Handler


def completion(body: dict) -> dict:
    """A chat completion whose content is a valid judge reply for the evidence in the prompt."""
    prompt = str(body.get("messages", [{}])[-1].get("content", ""))
    cited = [{"id": "S1", "stance": "supports"}] if re.search(r"^S1: ", prompt, re.M) else []  # judge_claim/v2
    reply = {"rationale": "The first evidence sentence settles it.", "citations": cited,
             "label": "SUPPORTED" if cited else "NOT_ENOUGH_INFO", "confidence": 0.7}
    return {
        "id": "chatcmpl-bench", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "bench"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(reply)},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 30, "total_tokens": len(prompt) // 4 + 30},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    dataset = dataset_path("climate_fever_dev")
    dataset = dataset if dataset.is_file() else SEED_SET
    stats = Stats()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(args.latency, stats))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(model="bench-judge", base_url=url, api_key="not-needed", concurrency=args.concurrency,
                                use_cache=False, db_path=Path(tmp) / "verify.db", vectorstore=Path(tmp) / "vs")
            cfg = EvalConfig(dataset=dataset, mode="paired", limit=args.claims)
            evaluator = Evaluator(cfg, settings)
            results = evaluator.run()
    finally:
        server.shutdown()
    judged = results["claims_judged"]
    wall = results["timing"]["judge_wall_s"]
    ideal = judged * args.latency / args.concurrency
    floor = math.ceil(judged / args.concurrency) * args.latency
    print(f"Concurrency benchmark ({machine()})")
    print(f"server: {url}, {args.latency * 1000:.0f} ms per request; dataset {dataset.name} (paired), "
          f"{judged} claims, --concurrency {args.concurrency}")
    print(f"requests served: {stats.requests}, peak in flight: {stats.peak}, failed verdicts: "
          f"{results['classification']['failed']}")
    print(f"judge wall time: {wall:.2f} s; ideal {judged} x {args.latency} / {args.concurrency} = {ideal:.2f} s "
          f"(whole rounds: {floor:.2f} s)")
    print(f"ratio to ideal: {wall / ideal:.2f} (target < 2.0: {'ok' if wall / ideal < 2 else 'MISSED'})")


if __name__ == "__main__":
    main()

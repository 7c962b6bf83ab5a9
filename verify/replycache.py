"""What the reply cache keys on: a hash of the request and of what identifies the model (a local
GGUF by its content, remembered by path, size and mtime so a 1 GB file is read once)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def request_hash(model_id: str, messages: list[dict], params: dict) -> str:
    blob = json.dumps({"model": model_id, "messages": messages, "params": params}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def file_sha256(path: Path, cache_dir: Path) -> str:
    """SHA-256 of a (large) model file, remembered by path, size and modification time in
    cache_dir/file-sha256.json so a 1 GB GGUF is read once, not on every run."""
    stat = path.stat()
    known = _read_json(cache_dir / "file-sha256.json").get(str(path.resolve()))
    if isinstance(known, dict) and known.get("sha256") and \
            (known.get("size"), known.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns):
        return known["sha256"]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    remember_sha256(path, digest.hexdigest(), cache_dir)
    return digest.hexdigest()


def remember_sha256(path: Path, sha256: str, cache_dir: Path) -> None:
    """Record a file's hash (computed while it was written, e.g. the assembled offline model) so
    file_sha256 does not read the file again."""
    stat = path.stat()
    memo_path = cache_dir / "file-sha256.json"
    memo = _read_json(memo_path)  # another process may have added files meanwhile
    memo[str(path.resolve())] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}
    try:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_name(f"{memo_path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, indent=1), encoding="utf-8")
        tmp.replace(memo_path)
    except OSError as exc:  # a read-only cache only costs hashing again next time
        log.warning("could not remember the model hash in %s: %s", memo_path, exc)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}

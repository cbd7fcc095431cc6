"""Evidence packages for an artifact store (SPEC §4 ``metrics publish``).

A package is a folder (or a .tar.gz of it) holding the raw evidence —
executions, summaries, the optimizer's analysis and history — and a
``manifest.json`` with the size and sha256 of every file, so anyone can
check later that nothing was altered (``verify_package``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic import __version__
from kaizen_agentic._fs import atomic_write_text
from kaizen_agentic._time import format_timestamp
from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.metrics.store import MetricsStore

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Package:
    path: Path
    manifest: dict[str, Any]


def publish_evidence(
    root: Path,
    out: Path,
    agent: str | None = None,
    *,
    tar: bool = False,
    now: datetime | None = None,
) -> Package:
    """Copy the evidence of one agent (or all) into a new package under *out*."""
    from kaizen_agentic.analysis.evidence import summary_evidence, write_summary
    from kaizen_agentic.analysis.optimizer import OptimizerStore
    from kaizen_agentic.config import load_config

    config = load_config(root)  # before anything is written: a broken config leaves no package
    now = now or datetime.now(timezone.utc)
    agents = [agent] if agent else MetricsStore.list_agents(root)
    agents = [a for a in agents if MetricsStore(root, a).executions_path.exists()]
    if not agents:
        raise InvalidInputError(
            f"no metrics to publish in {root}; record some with: kaizen-agentic metrics record"
        )
    name = f"kaizen-evidence-{root.resolve().name}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    package = out / name
    if package.exists():
        raise KaizenError(f"{package} already exists; choose another --out or remove it")
    package.mkdir(parents=True)
    stamps: list[str] = []
    config = load_config(root)
    for name_ in agents:
        store = MetricsStore(root, name_)
        totals = write_summary(summary_evidence(root, name_, config, now=now)).totals
        for source in (store.executions_path, store.summary_path):
            _copy(root, source, package / "metrics" / name_ / source.name)
        stamps += [s for s in (totals.first_execution, totals.last_execution) if s]
    optimizer = OptimizerStore(root)
    for source in (optimizer.analysis_path, optimizer.recommendations_path):
        if source.exists() or source.is_symlink():
            _copy(root, source, package / "optimizer" / source.name)
    manifest = {
        "package": name,
        "version": __version__,
        "created_at": format_timestamp(now),
        "retention_class": "raw-evidence",
        "agents": agents,
        "window": {"since": min(stamps, default=None), "until": max(stamps, default=None)},
        "files": [_describe(package, p) for p in sorted(package.rglob("*")) if p.is_file()],
    }
    atomic_write_text(package / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    if not tar:
        return Package(package, manifest)
    archive = out / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as handle:
        handle.add(package, arcname=name)
    shutil.rmtree(package)
    return Package(archive, manifest)


def verify_package(path: Path) -> list[str]:
    """Problems with a package folder or .tar.gz: files missing, resized or altered."""
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
        import tempfile

        with tempfile.TemporaryDirectory() as scratch, tarfile.open(path) as handle:
            if hasattr(tarfile, "data_filter"):  # refuses links and paths leaving scratch
                handle.extractall(scratch, filter="data")
            else:  # pragma: no cover - Python before 3.10.12
                handle.extractall(scratch)
            folders = [p for p in Path(scratch).iterdir() if p.is_dir()]
            if len(folders) != 1:
                return [f"{path}: expected one package folder inside the archive"]
            return verify_package(folders[0])
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InvalidInputError(
            f"{path}: no readable {MANIFEST}; is this an evidence package?"
        ) from None
    problems = []
    for entry in files:
        target = path / entry["path"]
        if not target.is_file():
            problems.append(f"{entry['path']}: missing")
            continue
        actual = _describe(path, target)
        if actual["bytes"] != entry["bytes"] or actual["sha256"] != entry["sha256"]:
            problems.append(f"{entry['path']}: sha256 differs from the manifest (altered)")
    listed = {entry["path"] for entry in files} | {MANIFEST}
    problems += [
        f"{p.relative_to(path)}: not in the manifest"
        for p in sorted(path.rglob("*"))
        if p.is_file() and str(p.relative_to(path)) not in listed
    ]
    return problems


def _copy(root: Path, source: Path, target: Path) -> None:
    """Copy a repo file into the package, read inside the repo's boundary (SPEC §1)."""
    from kaizen_agentic._fs import open_read

    target.parent.mkdir(parents=True, exist_ok=True)
    with open_read(root, source) as reader, target.open("wb") as writer:
        shutil.copyfileobj(reader, writer)


def _describe(package: Path, path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return {
        "path": str(path.relative_to(package)),
        "bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
    }

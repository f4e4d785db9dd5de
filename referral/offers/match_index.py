"""The matching index on disk: one file in the instance folder, the additions beside it, the
rebuild requests, and each process's copy in memory.

The index (the TF-IDF model fitted on the organisation's offers and CVs, and every CV's
vector) is built on first use and by ``relais reindex``; a new CV is transformed with the
fitted vocabulary and appended, without refitting. Rewriting the whole file for each new CV
would cost seconds at 100,000 CVs, so a new CV is written on its own to the additions folder
beside the file (a few kilobytes); every process adds the additions it has not seen to its
copy, and once ``COMPACT_AFTER`` have piled up they are folded into the file.

An erasure removes a CV from the database at once, but the index file still holds its text
until it is built again, which takes tens of seconds at 100,000 CVs: too long for the
recruiter's request. The erasure asks for a rebuild (:func:`request_rebuild`, a marker file
beside the index) and the worker, whose loop runs beside every deployment, builds the index
again on its next tick (:func:`referral.offers.scoring.rebuild_if_requested`); a marker left by a
crash is acted on at the next tick.

This module knows files and the matching library's index, not the database:
:mod:`referral.offers.scoring` turns the rows into documents and hands them over.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import joblib

from matching import CandidateDoc, MatchIndex
from referral.config import Settings

INDEX_FILE = "matching-index.joblib"
COMPACT_AFTER = 200  # additions folded into the index file at once

_cache_lock = threading.Lock()
_cache: dict[Path, tuple[float, MatchIndex]] = {}


def index_path(settings: Settings) -> Path:
    return settings.instance_path / INDEX_FILE


@contextmanager
def _file_lock(path: Path):
    """One writer of the index file at a time, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _additions(path: Path) -> Path:
    return path.with_name(path.name + ".additions")


def _addition_files(path: Path) -> list[Path]:
    """The additions waiting beside the index file at ``path``, oldest first."""
    try:
        return sorted(_additions(path).glob("*.joblib"))
    except FileNotFoundError:
        return []


def _save(index: MatchIndex, path: Path) -> None:
    """Write the whole index to ``path``; the additions it now holds are deleted."""
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    index.save(tmp)
    os.replace(tmp, path)
    for addition in _addition_files(path):
        if _addition_key(addition) in index:
            addition.unlink(missing_ok=True)
    with _cache_lock:
        _cache[path] = (path.stat().st_mtime, index)


def _addition_key(addition: Path) -> int:
    return int(addition.stem)


def _write_addition(path: Path, doc: CandidateDoc) -> None:
    folder = _additions(path)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{doc.key}.tmp{os.getpid()}"
    joblib.dump(doc, tmp)
    os.replace(tmp, folder / f"{doc.key:012d}.joblib")


def save_built(settings: Settings, index: MatchIndex, existing: Callable[[], set[int]]) -> None:
    """Write a freshly built ``index`` as the organisation's index file.

    ``existing`` gives the CV ids that still exist, read once the file is written and under
    its lock: the additions of CVs deleted since (an erasure) must not come back.
    """
    path = index_path(settings)
    with _file_lock(path):
        _save(index, path)
        keep = existing()
        for addition in _addition_files(path):
            if _addition_key(addition) not in keep:
                addition.unlink(missing_ok=True)


def _rebuild_marker(path: Path) -> Path:
    return path.with_name(path.name + ".rebuild")


def request_rebuild(settings: Settings) -> None:
    """Ask for the index to be built again (the worker does it on its next tick)."""
    marker = _rebuild_marker(index_path(settings))
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{time.time_ns()} {os.getpid()}\n")


def rebuild_request(settings: Settings) -> str | None:
    """The pending rebuild request (an opaque stamp), or None if none is pending."""
    try:
        return _rebuild_marker(index_path(settings)).read_text()
    except FileNotFoundError:
        return None


def clear_rebuild_request(settings: Settings, asked: str) -> None:
    """Forget the request ``asked``, unless another one replaced it meanwhile."""
    marker = _rebuild_marker(index_path(settings))
    try:
        if marker.read_text() == asked:
            marker.unlink()
    except FileNotFoundError:
        pass


def _read(path: Path) -> MatchIndex:
    """The index file at ``path`` with the additions beside it, from this process's cache
    while the file is unchanged."""
    mtime = path.stat().st_mtime
    with _cache_lock:
        cached = _cache.get(path)
        index = cached[1] if cached and cached[0] == mtime else None
    if index is None:
        index = MatchIndex.load(path)
        with _cache_lock:
            _cache[path] = (mtime, index)
    for addition in _addition_files(path):
        if _addition_key(addition) not in index:
            try:
                doc = joblib.load(addition)
            except FileNotFoundError:  # folded into the file meanwhile: read it next time
                continue
            with _cache_lock:
                if doc.key not in index:
                    index.add(doc)
    return index


def read(settings: Settings) -> MatchIndex:
    """The saved index; FileNotFoundError if there is none, IndexVersionError if it is of
    another version of the library."""
    return _read(index_path(settings))


def add(settings: Settings, index: MatchIndex, doc: CandidateDoc) -> MatchIndex:
    """Add a new CV's document to the index with the fitted vocabulary (no refit): written as
    an addition, folded into the index file with the others every ``COMPACT_AFTER``."""
    path = index_path(settings)
    with _file_lock(path):
        # Another process may have saved a newer index meanwhile: extend that one.
        index = _read(path) if path.exists() else index
        if doc.key not in index:
            _write_addition(path, doc)
            with _cache_lock:
                if doc.key not in index:  # another thread may have read the addition already
                    index.add(doc)
            if len(_addition_files(path)) >= COMPACT_AFTER:
                _save(index, path)
    return index

"""CV files on disk: outside the static folder, under random names, with their SHA-256.

The database row (:class:`~referral.models.CVFile`) is the only way to a file: nothing is ever
served from the uploads folder directly, so a file is only reachable through a view that
checks who may read it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from referral.config import Settings
from referral.models import CVFile

EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "odt": ".odt", "txt": ".txt"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_row(
    candidate_id: int, data: bytes, filename: str, extracted, stored_name: str, now
) -> CVFile:
    """The row of a CV file just received (``extracted`` is ``cvtext.extract``'s result);
    the original name is kept without path separators, at most 255 characters."""
    return CVFile(
        candidate_id=candidate_id,
        stored_name=stored_name,
        original_name=(filename or "cv").replace("/", "_").replace("\\", "_")[-255:],
        mime_type=extracted.mime_type,
        size=len(data),
        sha256=sha256(data),
        text=extracted.text,
        text_status=extracted.text_status,
        uploaded_at=now,
    )


def new_stored_name(kind: str, secret: str = "", nonce: str | None = None) -> str:
    """A random file name; with a form ``nonce``, the same name for the same submission.

    The name of a resubmitted form (same nonce) is the same, so the unique ``stored_name``
    column recognises a double submission; it is still unguessable (keyed hash of a random
    nonce).
    """
    if nonce:
        stem = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()[:40]
    else:
        stem = secrets.token_hex(20)
    return stem + EXTENSIONS.get(kind, ".bin")


def path_for(settings: Settings, cv_file: CVFile) -> Path:
    """Where the file of ``cv_file`` is on disk."""
    name = Path(cv_file.stored_name).name  # never a path from the database
    return settings.uploads_path / name


def write(settings: Settings, stored_name: str, data: bytes) -> Path:
    """Write a new file (never overwriting one) readable by the app's user only."""
    folder = settings.uploads_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(stored_name).name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        remove(path)
        raise
    return path


def remove(path: Path | None) -> None:
    """Delete a file written for a transaction that did not commit (missing is fine)."""
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def read(settings: Settings, cv_file: CVFile) -> bytes:
    return path_for(settings, cv_file).read_bytes()

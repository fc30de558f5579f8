"""Where a ``next`` parameter may send a user: only to a path on this site."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit


def safe_local_path(target: str | None) -> str | None:
    """The target if it is a local path, else None.

    Browsers drop tabs and line breaks and read backslashes as slashes, so ``/\t/evil.example``
    would leave the site; anything with such characters is refused outright.
    """
    if not target or "\\" in target:
        return None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return None
    return target

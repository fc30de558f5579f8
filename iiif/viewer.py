"""The deep-zoom viewer on record pages: Mirador, served by Huiku itself.

Mirador is not part of the repository: ``scripts/viewer-assets`` fetches the pinned release from
the npm registry, checks it against the registry's digest and unpacks the bundle into
``IIIF_VIEWER_VENDOR`` (by default ``iiif/viewer_vendor/``, ignored by git). When it is not
there, record pages simply keep their plain list of images.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory, url_for
from werkzeug.wrappers import Response

PACKAGE_FOLDER = Path(__file__).resolve().parent
DEFAULT_VENDOR_ROOT = PACKAGE_FOLDER / "viewer_vendor"
MIRADOR_SCRIPT = "mirador/mirador.min.js"
#: Written by scripts/viewer-assets next to the bundle: the package, version and digest.
MIRADOR_STAMP = "mirador/INSTALLED.json"

blueprint = Blueprint(
    "iiif_viewer",
    __name__,
    static_folder=str(PACKAGE_FOLDER / "viewer_static"),
    static_url_path="/iiif/viewer/static",
)


@dataclass(frozen=True)
class ViewerAssets:
    script: str  # URL of Mirador's bundle, naming the installed release so browsers may keep it
    version: str  # e.g. "4.0.0"


def vendor_root() -> Path:
    return Path(current_app.config["IIIF_VIEWER_VENDOR"])


def viewer_assets() -> ViewerAssets | None:
    """Mirador's URL when its bundle is installed, else None (the page falls back to images)."""
    root = vendor_root()
    try:
        stamp = (root / MIRADOR_STAMP).read_bytes()
        version = json.loads(stamp)["version"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    if not (root / MIRADOR_SCRIPT).is_file():
        return None
    release = hashlib.sha256(stamp).hexdigest()[:12]
    return ViewerAssets(
        script=url_for("iiif_viewer.vendor", filename=MIRADOR_SCRIPT, v=release), version=version
    )


@blueprint.route("/iiif/viewer/vendor/<path:filename>")
def vendor(filename: str) -> Response:
    """The installed third-party viewer files; URLs carry the version, so they may be kept long."""
    root = vendor_root()
    if not root.is_dir():
        abort(404)
    return send_from_directory(root, filename, max_age=7 * 86400)


def init_app(app: Flask) -> None:
    app.config.setdefault("IIIF_VIEWER_VENDOR", str(DEFAULT_VENDOR_ROOT))
    app.register_blueprint(blueprint)
    app.jinja_env.globals["iiif_viewer"] = viewer_assets

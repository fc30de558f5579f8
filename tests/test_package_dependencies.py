"""Dependencies point one way: the plug-in packages use the core, never the core them, and
``ingest`` and ``iiif`` share images through ``repository.images`` instead of each other. The
demo sits on top: it uses the core and the import, and nothing in the product uses it.

Every import statement counts, at the top of a module or inside a function, so an import
made lazily to dodge a cycle is caught as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUG_INS = ("ingest", "iiif", "search", "interop", "harvest")
PRODUCT = ("repository", *PLUG_INS)


def imports_of(package: str) -> list[tuple[str, str]]:
    """(file, imported module) for every absolute import in the package's modules."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [(str(path.relative_to(ROOT)), name) for name in names]
    return found


def offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path} imports {name}"
        for path, name in imports_of(package)
        if name.split(".")[0] in forbidden
    ]


def test_the_scan_sees_imports() -> None:
    assert ("iiif/image_api.py", "repository.images.derivatives") in imports_of("iiif")


def test_iiif_does_not_import_ingest() -> None:
    assert offending("iiif", ("ingest",)) == []


def test_ingest_does_not_import_iiif() -> None:
    assert offending("ingest", ("iiif",)) == []


def test_the_core_imports_no_plug_in() -> None:
    assert offending("repository", PLUG_INS) == []


def test_no_other_package_imports_the_harvester() -> None:
    """Harvesting sits on the core, the search text tools and the duplicate rules; nothing
    below it knows it exists."""
    others = ("ingest", "iiif", "search", "interop")
    assert [line for package in others for line in offending(package, ("harvest",))] == []


def test_nothing_in_the_product_imports_the_demo() -> None:
    assert [line for package in PRODUCT for line in offending(package, ("demo",))] == []


def test_the_demo_loads_through_the_core_and_the_import() -> None:
    used = {name.split(".")[0] for _, name in imports_of("demo")}
    assert {"repository", "ingest"} <= used
    assert offending("demo", ("iiif", "interop")) == []

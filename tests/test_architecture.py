"""The layers of docs/architecture.md, checked: every vcaudit import points down.

Each module's imports (at the top or inside functions, from `import vcaudit.x` and
`from vcaudit.x import y` alike) are read with `ast`, so a lazy import cannot hide an upward
one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "vcaudit"

# Module (or package) -> layer; a module may import its own layer and those below.
LAYERS: dict[str, int] = {
    "models": 1, "errors": 1, "sanitize": 1, "fields": 1, "linedata": 1, "yamlio": 1,
    "files": 1, "console": 1, "spool": 1, "deadline": 1,
    "versioning": 2, "matching": 2, "policy": 2,
    "feed": 3, "inventory": 3,
    "report": 4, "advice": 4,
    "audit": 5,
    "output": 6, "notify": 6,
    "config": 7, "settings": 7,
    "cli": 8, "__main__": 9, "__init__": 0,
}  # fmt: skip
# Pairs that must not import each other although the layers would allow it: formats and
# channels take the finished report (DESIGN.md), and the feed and inventories are apart.
APART = {
    ("output", "notify"), ("notify", "output"), ("feed", "inventory"), ("inventory", "feed"),
    ("output", "audit"), ("notify", "audit"), ("output", "inventory"), ("notify", "inventory"),
}  # fmt: skip


def _top(module: str) -> str:
    """`vcaudit.inventory.native` -> `inventory`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC.parent).with_suffix("")
        found.append((".".join(relative.parts), path))
    return found


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("vcaudit"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name.startswith("vcaudit"):
                if name == "vcaudit":  # from vcaudit import versioning (or __version__)
                    for alias in node.names:
                        is_module = (SRC / alias.name).is_dir() or (
                            SRC / f"{alias.name}.py"
                        ).exists()
                        out.add(f"vcaudit.{alias.name}" if is_module else "vcaudit")
                else:
                    out.add(name)
    return out


def test_every_module_has_a_layer() -> None:
    missing = sorted({_top(m) for m, _ in _modules()} - set(LAYERS))
    assert missing == [], "add these to LAYERS and docs/architecture.md"


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_imports_point_down(module: str, path: Path) -> None:
    here = _top(module)
    upward = []
    for imported in sorted(_imports(path, module)):
        there = _top(imported)
        if there == here:
            continue
        if LAYERS[there] > LAYERS[here] or (here, there) in APART:
            upward.append(imported)
    assert upward == [], f"{module} imports {upward} (layer {LAYERS[here]})"

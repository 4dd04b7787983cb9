"""Code versions from the code itself, so a changed asset shows as stale in the Dagster UI.

An asset's version hashes (1) the Python of its module and of every seg_pipeline module reachable
from it by imports, compared as syntax trees without docstrings (so comments, docstrings and
formatting change nothing), and (2) the text of every `sql/<name>.sql` or `sql/checks/<name>.sql`
whose name appears as a string in that code (`write_frame(con, "skip_labels", ...)`,
`run_sql(con, "segrec_summary")`, `sql_check(home, "splits_time_order")`).
"""
from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Iterable

PACKAGE = "seg_pipeline"
# Display, links and tooling only: they cannot change what an asset writes.
IGNORED = frozenset({"seg_pipeline.assets.metadata", "seg_pipeline.progress", "seg_pipeline.graph_doc",
                     "seg_pipeline.cli", "seg_pipeline.code_version", "seg_pipeline.definitions",
                     "seg_pipeline.automation", "seg_pipeline.resources.tracking"})
LENGTH = 12  # hex digits shown in the UI


def package_root() -> Path:
    return Path(__file__).resolve().parent


def _module_file(root: Path, module: str) -> Path | None:
    parts = module.split(".")[1:]
    base = root.joinpath(*parts) if parts else root
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """seg_pipeline modules named by any import in the tree (function-local imports included)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import submodule`
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def _parsed(path: Path) -> tuple[str, str]:
    return _parsed_source(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _parsed_source(source: str) -> tuple[str, str]:
    """(hash of the docstring-free syntax tree, every string constant joined by NUL)."""
    tree = ast.parse(source)
    strings = "\0".join(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    digest = hashlib.sha256(ast.dump(_strip_docstrings(tree)).encode()).hexdigest()
    return digest, strings


def _module_imports(path: Path, name: str) -> frozenset[str]:
    return _source_imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")


@lru_cache(maxsize=None)
def _source_imports(source: str, name: str, is_package: bool) -> frozenset[str]:
    return frozenset(_imports(ast.parse(source), name, is_package))


def reachable_modules(module: str, root: Path) -> dict[str, Path]:
    """`module` and every seg_pipeline module it imports, transitively (IGNORED ones left out)."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or name in IGNORED:
            continue
        path = _module_file(root, name)
        if path is None:
            continue
        seen[name] = path
        todo.extend(_module_imports(path, name))
    return seen


def sql_files(strings: Iterable[str], sql_root: Path) -> list[Path]:
    """The sql/ and sql/checks/ files named by any of the strings."""
    names = set(strings)
    files = [p for p in sorted(sql_root.glob("*.sql")) + sorted(sql_root.glob("checks/*.sql")) if p.stem in names]
    return files


def code_version(module: str, root: Path | None = None, sql_root: Path | None = None) -> str:
    """The version of the assets defined in `module` (a seg_pipeline module name)."""
    root = root or package_root()
    sql_root = sql_root or root / "sql"
    digest = hashlib.sha256()
    strings: list[str] = []
    for name, path in sorted(reachable_modules(module, root).items()):
        tree_hash, consts = _parsed(path)
        digest.update(f"{name}:{tree_hash}\n".encode())
        strings.extend(consts.split("\0"))
    for path in sql_files(strings, sql_root):
        digest.update(f"{path.relative_to(sql_root)}:".encode() + path.read_bytes() + b"\n")
    return digest.hexdigest()[:LENGTH]

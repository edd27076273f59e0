"""The architecture's boundaries hold: the import contracts in pyproject.toml (import-linter),
and no circle of imports inside `tracker`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
LINT = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; "
    "sys.exit(lint_imports_command())",
]


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    return subprocess.run(
        [*LINT, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_contracts_are_kept():
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_contract_fails_when_a_core_module_imports_textual(tmp_path):
    for name in ("tracker", "kiosk_agent"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    store = tmp_path / "tracker" / "store.py"
    store.write_text(store.read_text() + "\nimport textual  # a hostile edit\n")
    r = _lint(tmp_path)
    assert r.returncode != 0
    assert "BROKEN" in r.stdout
    assert "tracker.store -> textual" in r.stdout


def test_every_core_module_is_under_the_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    core = next(c for c in config["contracts"] if c["id"] == "core")
    covered = set(core["source_modules"])
    pkg = ROOT / "tracker"
    found = {
        f"tracker.{p.stem}"
        for p in pkg.iterdir()
        if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    faces = {"tracker.ui", "tracker.cli"}
    assert found - faces - covered == set(), "add new core modules to the 'core' contract"


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.find_modules_directly_imported_by(v) & modules:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in sorted(modules):
        if m not in index:
            visit(m)
    return out


def test_no_import_circles_in_tracker():
    graph = grimp.build_graph("tracker")
    modules = {m for m in graph.modules if m.startswith("tracker")}
    assert _cycles(graph, modules) == []


def test_the_circle_finder_finds_a_circle(tmp_path):
    """The check above can fail: two modules that import each other are reported."""
    pkg = tmp_path / "circ"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from circ import b\n")
    (pkg / "b.py").write_text("def f():\n    from circ import a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("circ", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert _cycles(graph, set(graph.modules)) == [["circ.a", "circ.b"]]

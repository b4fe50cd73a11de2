"""The layout's rules, checked statically: no import cycles, dependencies point the way DESIGN.md draws them.

The graph is built with `ast` from every module of `bot`, `handlers` and `storage`. Function-level (lazy)
imports count like top-level ones: a lazy import hides a cycle from the interpreter, not from the reader, so
it is no excuse. `from pkg import name` is an edge to `pkg.name` when that is a module of ours, else to `pkg`;
a module importing its own package's `__init__` implicitly (as Python does for every submodule) is not an
edge.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")
KERNEL = {
    "bot",
    "bot.config",
    "bot.errors",
    "bot.language",
    "bot.logs",
    "bot.net",
    "bot.net_log",
    "bot.transcript_import",
    "bot.waitress_thread",
}
# A handler function's own lines (a `register` minus the listeners nested in it): the longest today is
# handlers/commands.py:on_symbl at 20; one that needs more is doing work that belongs in bot.slack.
MAX_HANDLER_FUNCTION_LINES = 25


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (ours) or top-level name (third party)
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, modules: Mapping[str, Path]) -> Iterable[Import]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield Import(name, candidate if candidate in modules else base, node.lineno)


def import_graph() -> dict[str, list[Import]]:
    modules = project_modules()
    return {name: list(imports_of(name, path, modules)) for name, path in modules.items()}


def ours(graph: Mapping[str, list[Import]]) -> dict[str, set[str]]:
    """Edges between our own modules only."""
    return {
        src: {i.target for i in edges if i.target in graph and i.target != src}
        for src, edges in graph.items()
    }


def find_cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted: every import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


GRAPH = import_graph()


def violations(source_prefix: str, allowed: Callable[[str], bool]) -> list[str]:
    """Imports made by modules under `source_prefix` that `allowed` refuses, as `module:line imports
    target`."""
    return [
        f"{i.source}:{i.line} imports {i.target}"
        for src, edges in GRAPH.items()
        if within(src, source_prefix)
        for i in edges
        if not allowed(i.target)
    ]


def test_the_scan_sees_the_imports_it_must():
    edges = ours(GRAPH)
    assert "bot.slack.intake" in edges["handlers.events"]
    assert "bot.slack.services" in edges["handlers"]
    assert "bot.net" in edges["bot.engine.jobs"]
    assert any(i.target == "slack_bolt" for i in GRAPH["bot.slack.app"])


def test_the_cycle_finder_finds_cycles():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert find_cycles(ours(GRAPH)) == []


def test_the_engine_never_imports_slack_code():
    forbidden = ("bot.slack", "bot.cli", "handlers", "slack_sdk", "slack_bolt")
    assert violations("bot.engine", lambda t: not within(t, *forbidden)) == []


# The one exception: the SDK-shaped `Audio`/`Text` start the built-in engine's server in-process when no
# Symbl host is configured (issue 24: the Symbl docs page's samples must run on a fresh install), and then
# speak HTTP to it like to any host. It may import the engine's server and core to start them, nothing else.
ENGINE_STARTER = "bot.providers.symbl.local"
ENGINE_STARTER_IMPORTS = ("bot.engine.core", "bot.engine.server")


def test_providers_never_import_the_engine_or_slack():
    forbidden = ("bot.engine", "bot.slack", "bot.cli", "handlers", "slack_sdk", "slack_bolt")
    found = violations("bot.providers", lambda t: not within(t, *forbidden))
    starter = [v for v in found if v.startswith(f"{ENGINE_STARTER}:")]
    assert [v for v in found if v not in starter] == []
    assert all(v.rsplit(" imports ", 1)[1] in ENGINE_STARTER_IMPORTS for v in starter), starter


def test_the_kernel_imports_only_the_kernel():
    kernel_out = [
        f"{i.source}:{i.line} imports {i.target}"
        for src in KERNEL
        for i in GRAPH[src]
        if within(i.target, *PACKAGES) and i.target not in KERNEL
    ]
    assert kernel_out == []


def test_storage_knows_nothing_of_the_bot():
    assert violations("storage", lambda t: not within(t, "bot", "handlers", "slack_sdk", "slack_bolt")) == []


def test_handlers_import_only_the_slack_app_the_kernel_and_storage():
    def allowed(target: str) -> bool:
        return (
            not within(target, *PACKAGES)
            or within(target, "bot.slack", "handlers", "storage")
            or target in KERNEL
        )

    assert violations("handlers", allowed) == []


def own_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of `function` minus those of the functions defined directly in it (decorators included)."""
    nested = [n for n in function.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    total = function.end_lineno - function.lineno + 1  # type: ignore[operator]
    return total - sum(n.end_lineno - n.lineno + 1 + len(n.decorator_list) for n in nested)  # type: ignore[operator]


def test_own_lines_leaves_out_nested_listeners():
    tree = ast.parse(
        "def register(app):\n    @app.event('x')\n    def on_x():\n        pass\n    return app\n"
    )
    assert own_lines(tree.body[0]) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize("path", sorted((ROOT / "handlers").glob("*.py")), ids=lambda p: p.name)
def test_handlers_stay_thin(path: Path):
    long = [
        f"{node.name} ({own_lines(node)} lines)"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and own_lines(node) > MAX_HANDLER_FUNCTION_LINES
    ]
    assert long == [], f"move the logic into bot.slack and call it: {long}"

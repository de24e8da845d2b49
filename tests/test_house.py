"""The house plan, checked on the code itself (docs/ARCHITECTURE.md): the import graph of the apps,
imports made inside functions included, has no cycle and no arrow going up the app order; the
engine imports no Django; no production module imports a migration; app roots stay small and
modules and functions short. Pure ``ast`` reading: no database, no import of the code."""

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["territories", "offers", "indicators", "proposals"]  # each app imports only the ones before
APPS = [*ORDER, "config"]  # config wires everything and may import every app
ROOT_MODULES = 15  # modules at an app's root (the conventional Django ones and a few more)
MODULE_LINES = 600  # the aim is ~500
FUNCTION_LINES = 100  # the aim is ~80 (/work/shared/scripts/house-check uses the same margins)


def _modules():
    """{dotted name: path} of every production module of the apps (tests and migrations aside)."""
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or "tests" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name, path):
    """Dotted names imported by a module, at module level and inside functions alike."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                yield f"{base}.{alias.name}"  # a submodule, or a name of the module ``base``


def _project_module(target):
    """The module of the project a dotted import lands in (longest known prefix), or None."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


def _graph():
    graph = defaultdict(set)
    for name, path in MODULES.items():
        for target in _imports(name, path):
            module = _project_module(target)
            if module is not None and module != name:
                graph[name].add(module)
    return graph


GRAPH = _graph()


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], 0
    for start in sorted(MODULES):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_graph_is_read():
    # the checks below mean something only if the graph holds the arrows everyone knows of
    assert "indicators.runs.services" in GRAPH["indicators.tasks"]
    assert "territories.models" in GRAPH["indicators.runs.inputs"]
    assert len(MODULES) > 100


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = defaultdict(set, {name: set(targets) for name, targets in GRAPH.items()})
    graph["territories.models"].add("indicators.tasks")  # indicators.tasks reaches territories.models
    assert any("territories.models" in cycle for cycle in _cycles(graph))


def test_no_arrow_goes_up_the_app_order():
    upward = [
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        for target in targets
        if source.split(".")[0] in ORDER
        and (
            target.split(".")[0] not in ORDER
            or ORDER.index(target.split(".")[0]) > ORDER.index(source.split(".")[0])
        )
    ]
    assert upward == []


def test_the_engine_imports_no_django():
    engine = {name: path for name, path in MODULES.items() if name.startswith("indicators.engine")}
    assert engine
    outside = [
        f"{name} -> {target}"
        for name, path in engine.items()
        for target in _imports(name, path)
        if target.split(".")[0] in ("django", *APPS) and not target.startswith("indicators.engine")
    ]
    assert outside == []


def test_production_code_imports_no_migration():
    offending = []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        offending += [f"{name} -> {t}" for t in _imports(name, path) if ".migrations" in f".{t}."]
        offending += [
            f"{name} -> {m}" for m in re.findall(r"import_module\(\s*[\"']([\w.]*migrations[\w.]*)", source)
        ]
    assert offending == []


def test_app_roots_stay_small():
    crowded = {}
    for app in APPS:
        count = len(list((ROOT / app).glob("*.py")))
        if count > ROOT_MODULES:
            crowded[app] = count
    assert crowded == {}


def test_modules_and_functions_stay_short():
    long_modules, long_functions = [], []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MODULE_LINES:
            long_modules.append(f"{name}: {len(source.splitlines())}")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES:
                    long_functions.append(f"{name}.{node.name}: {length}")
    assert long_modules == []
    assert long_functions == []

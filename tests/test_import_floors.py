"""minidl's imports point down the floors and form no loop.

How it works: every ``minidl/**/*.py`` is parsed (nothing is imported) and every ``import`` /
``from ... import`` statement in it is collected, those inside functions and methods included
(``ast.walk`` visits the whole tree). Each one is resolved to the minidl module it names:
``from ..ops import shape`` is the module ``minidl.ops.shape``, ``from ..ops.shape import sum_to``
is ``minidl.ops.shape``, a package's own ``__init__`` is the package's name. Python's implicit
import of a parent package's ``__init__`` is not an edge (a package importing its submodules is
the ordinary pattern, not a loop).

On that graph: no strongly connected component has more than one module (Tarjan), apart from
the named exceptions in ``KNOWN_CYCLES``; and no module imports a module of a higher floor in
``FLOORS`` (its top-level part under ``minidl``: ``minidl.ops.shape`` is on the floor of ``ops``).
Imports within one floor are allowed; the loop check is what keeps them in order.
"""
import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "minidl"

# Lowest first. A module may import from its own floor or any floor below it, never above.
FLOORS = [
    # ground: the array module, format strings, argument plumbing, seeds, files; kernels are
    # device code on the ground floor, used by ops only (see KERNEL_USERS)
    {"backend", "formats", "_namevalue", "validate", "atomic", "random", "record", "blasinfo", "threads",
     "kernels"},
    {"dlarray"},  # data and labels; its operators are installed by ops (ops/operators.py)
    {"autodiff"},  # trace, nodes, gradient walk: receives the dlarrays the ops build
    {"ops"},  # differentiable functions, forward and backward side by side
    {"layers", "table"},
    {"network"},
    {"pruning", "optim", "io", "data", "train", "onnx", "testing", "testing_strict"},
    {"minidl"},  # the package's __init__: re-exports the public names of every floor
    {"__main__"},  # programs (python -m minidl.onnx), as examples/
]
KERNEL_USERS = {"ops", "testing_strict"}  # testing_strict swaps the kernel dispatch for the stand-in

# Loops that another stream is removing; each is an explicit, named exception.
KNOWN_CYCLES = {}  # name -> frozenset of modules: an exception must be named here, with its reason


def _modules():
    mods = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = path
    return mods


def _targets(module, path, node, mods):
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in mods else base for alias in node.names]


def import_graph():
    """{module: set of minidl modules it imports anywhere in its source}."""
    mods = _modules()
    graph = {}
    for module, path in mods.items():
        edges = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(t for t in _targets(module, path, node, mods) if t in mods and t != module)
    return graph


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.add(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def _part(module):
    parts = module.split(".")
    return parts[-1] if parts[-1] == "__main__" else (parts[1] if len(parts) > 1 else "minidl")


def floor_of(module):
    part = _part(module)
    for level, names in enumerate(FLOORS):
        if part in names:
            return level
    raise AssertionError(f"{module} is on no floor: add {part!r} to FLOORS in {__file__}")


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_the_reader_sees_function_local_and_relative_imports(graph):
    # testing_strict imports the kernel dispatch inside a function; onnx/export does "from .. import layers".
    assert "minidl.kernels.dispatch" in graph["minidl.testing_strict"]
    assert "minidl.layers" in graph["minidl.onnx.export"]
    assert "minidl.dlarray" in graph["minidl.ops.operators"]


def test_the_cycle_finder_finds_loops():
    toy = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e", "d"}, "f": {"g"}, "g": {"f"}}
    assert sorted(map(sorted, cycles(toy))) == [["a", "b", "c"], ["f", "g"]]


def test_no_import_loops(graph):
    unexpected = [sorted(c) for c in cycles(graph) if c not in KNOWN_CYCLES.values()]
    assert not unexpected, f"import loops in minidl/: {unexpected}"


def test_every_module_is_on_a_floor(graph):
    for module in graph:
        floor_of(module)


def test_imports_point_down_the_floors(graph):
    upward = sorted(f"{m} (floor {floor_of(m)}) imports {t} (floor {floor_of(t)})"
                    for m, targets in graph.items() for t in targets if floor_of(t) > floor_of(m))
    assert not upward, "\n".join(upward)


def test_kernels_are_used_by_ops_only(graph):
    users = sorted(f"{m} imports {t}" for m, targets in graph.items() for t in targets
                   if _part(t) == "kernels" and _part(m) not in KERNEL_USERS | {"kernels"})
    assert not users, "\n".join(users)


@pytest.mark.parametrize("entry", ["from minidl.dlarray import dlarray",
                                   "import minidl.testing_strict\nfrom minidl import dlarray"])
def test_dlarray_has_its_operators_whichever_module_is_imported_first(entry):
    # A fresh interpreter: the operators come from minidl.ops, which importing any minidl module brings in.
    program = entry + """
x = dlarray([[1.0, 2.0], [3.0, 4.0]])
y = ((x + 1) * x - x / 2) ** 2 @ x.T
assert (-x)[0, 1].data == -2.0 and bool((x < 2)[0, 0].data) and not bool((x == 2)[0, 0].data)
assert abs(float(y[1, 0].data) - ((4 * 3 - 1.5) ** 2 * 1 + (5 * 4 - 2) ** 2 * 2)) < 1e-9
assert dlarray(x, "CB").fmt == "CB"
"""
    subprocess.run([sys.executable, "-c", program], check=True, cwd=ROOT.parent, timeout=60)

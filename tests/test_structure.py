"""The package's shape: imports go one way, functions fit on a screen, one of each shared mechanism.

These read the package's source (``ast``), so they fail when a change brings back an import cycle, a
private name reached across modules, a long function, or a second way of doing what one function
already does (writing a file atomically, running a network over batches, initialising weights,
drawing a random subset).
"""

import ast
import re
from pathlib import Path

import pytest

import alexnet_edu
from alexnet_edu.cli import build_parser
from alexnet_edu.config import TrainConfig

PACKAGE = Path(alexnet_edu.__file__).resolve().parent
MODULES = {(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)).removesuffix(".__init__"): p
           for p in sorted(PACKAGE.rglob("*.py"))}
MAX_FUNCTION_LINES = 80
# The package's modules in the order its imports go (the README's layout lists them so): each imports
# only from modules before it. The chapters' checkers (exercises.*) sit just before editions.
ORDER = ["paper", "shapes", "layers", "model", "provenance", "runs", "data", "transforms", "metrics", "optim",
         "parallel", "config", "train", "experiments", "visualize", "records", "claims", "display", "runtime",
         "explore", "exercises", "editions", "grading", "running", "book_theme", "cli", "__main__"]


def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))


def _imported(name: str) -> list[tuple[str, list[str]]]:
    """``(module, names)`` for every import of a module of the package in module ``name``, at any depth."""
    package = name if MODULES[name].name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            if target in MODULES and not node.module:  # from . import x, y
                found += [(f"{target}.{n}", []) for n in names if f"{target}.{n}" in MODULES]
            elif target in MODULES:
                found.append((target, names))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name in MODULES]
    return [(target, names) for target, names in found if target != name]


def _functions(name: str):
    """``(qualified name, node)`` of every function and method of module ``name``."""
    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield f"{prefix}{child.name}", child
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)
    yield from walk(_tree(name), f"{name}.")


def _calls(pattern: str) -> set[str]:
    """The innermost functions (``module.function``) whose source calls something matching ``pattern``
    (a regular expression over the call's dotted name, like ``nn.init.normal_``)."""
    places = set()
    for name in MODULES:
        for qualified, function in _functions(name):
            own = {id(n) for child in ast.walk(function) if child is not function and isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(child)}
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and id(node) not in own and re.fullmatch(pattern, ast.unparse(node.func)):
                    places.add(qualified)
    return places


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """A cycle of ``graph`` (a list of nodes, the first one again at the end), or ``[]``."""
    done, path = set(), []

    def visit(name):
        if name in path:
            return path[path.index(name):] + [name]
        if name in done:
            return []
        path.append(name)
        for target in sorted(graph.get(name, ())):
            found = visit(target)
            if found:
                return found
        path.pop()
        done.add(name)
        return []

    for name in sorted(graph):
        found = visit(name)
        if found:
            return found
    return []


def test_the_import_graph_of_the_package_has_no_cycle():
    graph = {name: {target for target, _ in _imported(name)} for name in MODULES}
    assert graph["alexnet_edu.train"] >= {"alexnet_edu.config", "alexnet_edu.runs", "alexnet_edu.metrics"}  # it reads
    assert _cycle(graph) == [], " -> ".join(_cycle(graph))
    # the walk finds a cycle when there is one
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({**graph, "alexnet_edu.paper": {"alexnet_edu.cli"}})


def _rank(module: str) -> int:
    parts = module.split(".")
    return -1 if len(parts) == 1 else ORDER.index(parts[1])


def test_imports_go_one_way_in_the_order_of_the_readme():
    assert {name.split(".")[1] for name in MODULES if "." in name} == set(ORDER)
    backwards = [f"{name} imports {target}" for name in MODULES for target, _ in _imported(name)
                 if _rank(target) > _rank(name)]
    assert not backwards, backwards
    readme = (PACKAGE.parent / "README.md").read_text()
    listed = readme[readme.index("| `alexnet_edu/` |"):].split("\n", 1)[0]
    positions = [listed.index(f"`{module}`") for module in ORDER if f"`{module}`" in listed]
    assert len(positions) >= len(ORDER) - 3 and positions == sorted(positions)  # the README lists them in this order


def test_no_module_imports_or_reaches_into_another_modules_private_names():
    offenders = []
    for name in MODULES:
        aliases = {}
        for target, names in _imported(name):
            offenders += [f"{name}: from {target} import {n}" for n in names if n.startswith("_")]
            aliases[target.rsplit(".", 1)[-1]] = target
        for node in ast.walk(_tree(name)):
            if isinstance(node, ast.ImportFrom):
                aliases.update({a.asname: a.name for a in node.names if a.asname})
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and node.value.id in aliases):
                offenders.append(f"{name}: {node.value.id}.{node.attr}")
    assert not offenders, offenders


def test_no_function_is_longer_than_a_screen_and_train_py_reads_in_one_sitting():
    long = [f"{q} ({f.end_lineno - f.lineno + 1} lines)" for name in MODULES for q, f in _functions(name)
            if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, long
    assert len(MODULES["alexnet_edu.train"].read_text().splitlines()) < 450


def test_one_atomic_write():
    # write_atomic is the one function that makes a temporary file and renames it over a target; the
    # other renames move what exists aside (a damaged or diverged checkpoint, an incomplete dataset
    # folder), and the download writes an archive part that is checked, unpacked and deleted.
    assert _calls(r"(tempfile\.)?(mkstemp|NamedTemporaryFile|mkdtemp)") <= {
        "alexnet_edu.runs.write_atomic", "alexnet_edu.data.download", "alexnet_edu.data._unpack"}
    renames = _calls(r"os\.(replace|rename)|shutil\.move") | {
        q for name in MODULES for q, f in _functions(name) for n in ast.walk(f)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("replace", "rename")
        and len(n.args) == 1 and not n.keywords}  # Path.replace(target); str.replace takes two
    assert renames == {"alexnet_edu.runs.write_atomic", "alexnet_edu.runs.newest_intact_checkpoint",
                       "alexnet_edu.runs.set_diverged_aside", "alexnet_edu.data._unpack"}, renames
    savers = _calls(r"(torch|np|numpy)\.(save|savez|savez_compressed)|json\.dump")
    sources = {q: ast.unparse(f) for name in MODULES for q, f in _functions(name)}
    # each writes into the file write_atomic hands it, never to a path of its own
    assert savers and all("write_atomic(" in sources[place] for place in savers), savers


def test_one_evaluation_loop():
    # a loop that runs a network without gradients: metrics.evaluate alone (PaperSGD.step loops over
    # parameters, not batches; layer_activations is one forward pass)
    looping = set()
    for name in MODULES:
        for qualified, function in _functions(name):
            source = ast.unparse(function)
            if "no_grad" in source and any(isinstance(n, (ast.For, ast.While)) and "model(" in ast.unparse(n)
                                           for n in ast.walk(function)):
                looping.add(qualified)
    assert looping == {"alexnet_edu.metrics.evaluate"}, looping


def test_one_weight_initialisation():
    # every nn.init call and every reset of a layer's parameters is model.init_'s (the locally connected
    # layer's own reset_parameters is its default, as torch's layers have theirs)
    assert _calls(r"(torch\.)?nn\.init\.\w+|init\.\w+_") == {"alexnet_edu.model.init_",
                                                               "alexnet_edu.layers.LocallyConnected2d.reset_parameters"}
    assert _calls(r".*\.reset_parameters") == {"alexnet_edu.model.init_",  # the layer's constructor draws its default
                                                "alexnet_edu.layers.LocallyConnected2d.__init__"}


def test_one_random_subset():
    # randperm draws a subset in data.random_subset; the two training loops shuffle an epoch with it
    assert _calls(r"torch\.randperm") == {"alexnet_edu.data.random_subset", "alexnet_edu.train.train_one_epoch",
                                          "alexnet_edu.experiments.train_small"}


def test_every_train_option_is_a_config_field_and_its_help_shows_the_default(capsys):
    parser = build_parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "train")[1]
    dests = {a.dest for a in train._actions} - {"help"}
    fields = set(TrainConfig.__dataclass_fields__)
    assert fields <= dests
    assert dests - fields == {"out", "resume", "recipe", "distributed", "max_steps", "quiet"}
    for action in train._actions:
        if action.dest != "help":
            assert "default" in action.help, action.option_strings
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, f in TrainConfig.__dataclass_fields__.items():
        flag = ("--no-" if f.default is True else "--") + name.replace("_", "-")
        assert flag in text
        if "choices" in f.metadata:
            assert f"(default: {f.default})" in text

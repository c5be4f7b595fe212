"""Dependencies point one way: engine < ops < model pieces < layers < models < what is built
on models. Every `import` of a tinydl module by a tinydl module (at the top or inside a
function) is read from the source, and a module may import only modules of its own level
or below. The one exception is the engine↔ops pair: Tensor's operators (a + b, a @ b) call
the ops, which are built on Tensor.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "tinydl"

#: (level, module prefixes), lowest first. A module's level is that of its longest prefix.
LEVELS = (
    (0, ("tinydl._allocator", "tinydl.parallel", "tinydl.io", "tinydl.testing")),
    (1, ("tinydl.autograd", "tinydl.gradcheck", "tinydl.backend")),
    (2, ("tinydl.ops", "tinydl.functional", "tinydl.activations")),
    (3, ("tinydl.losses", "tinydl.metrics", "tinydl.initializers", "tinydl.regularizers",
         "tinydl.optimizers")),
    (4, ("tinydl.layers",)),
    (5, ("tinydl.models", "tinydl.callbacks", "tinydl.saving")),
    (6, ("tinydl.applications", "tinydl.gan", "tinydl.explain", "tinydl.adversarial",
         "tinydl.graphs", "tinydl.image_grids", "tinydl.utils", "tinydl.regions", "tinydl.datasets",
         "tinydl.exercises", "tinydl.lessons", "tinydl.cli", "tinydl.__main__")),
    (7, ("tinydl",)),               # the package's __init__: the public namespace
)
#: The allowed upward pair: (importer prefix, imported prefix).
ALLOWED_UP = (("tinydl.autograd", "tinydl.ops"),)
#: Student templates and reference solutions are read and copied, not part of the library.
SKIPPED = ("tinydl.exercises.catalogue", "tinydl.exercises.solutions")


def level(module: str) -> int:
    best = max(((len(p), lvl) for lvl, prefixes in LEVELS for p in prefixes
                if module == p or module.startswith(p + ".")), default=None)
    if best is None:
        raise KeyError(f"{module} has no level in tests/test_import_direction.py::LEVELS: "
                       f"give it one")
    return best[1]


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(module: str, source: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported tinydl module) for every import in `source`; `from . import x`
    counts as importing the module `pkg.x` when x is one, else `pkg` itself."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("tinydl"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                is_module = (ROOT.parent / (sub.replace(".", "/") + ".py")).exists() or \
                    (ROOT.parent / sub.replace(".", "/") / "__init__.py").exists()
                found.append((node.lineno, sub if is_module else target))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("tinydl")]
    return found


def upward_imports(sources: dict[str, tuple[str, bool]]) -> list[str]:
    """Every import in `sources` ({module: (source, is_package)}) that points up a level."""
    bad = []
    for module, (source, is_package) in sorted(sources.items()):
        for line, target in imports(module, source, is_package):
            if level(target) <= level(module):
                continue
            if any(module.startswith(a) and target.startswith(b) for a, b in ALLOWED_UP):
                continue
            bad.append(f"{module} (level {level(module)}) imports {target} "
                       f"(level {level(target)}) at line {line}")
    return bad


def library_sources() -> dict[str, tuple[str, bool]]:
    sources = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = module_name(path)
        if not module.startswith(SKIPPED):
            sources[module] = (path.read_text(), path.name == "__init__.py")
    return sources


def test_every_module_has_a_level():
    for module in library_sources():
        level(module)                       # raises KeyError naming a module with none


def test_no_module_imports_upwards():
    bad = upward_imports(library_sources())
    assert not bad, "imports that point up:\n" + "\n".join(bad)


@pytest.mark.parametrize("module, line", [
    ("tinydl.ops.conv", "from ..layers import Dense"),                    # an op needs a layer
    ("tinydl.losses", "from .models import Model"),                       # a loss needs a model
    ("tinydl.layers.core", "from ..utils import to_categorical"),         # layers need utils
    ("tinydl.autograd", "from . import losses"),                          # engine: only ops
    ("tinydl.metrics.accuracy", "import tinydl.gan"),
    ("tinydl.ops.math", "def f():\n    from ..models import probing\n"),  # lazy, still counts
])
def test_an_added_upward_import_is_caught(module, line):
    sources = library_sources()
    source, is_package = sources[module]
    sources[module] = (source + "\n" + line + "\n", is_package)
    bad = upward_imports(sources)
    assert len(bad) == 1 and bad[0].startswith(module + " (level"), bad


def test_the_engine_may_import_the_ops_and_nothing_else_above_it():
    sources = library_sources()
    targets = {t for _, t in imports("tinydl.autograd", *sources["tinydl.autograd"])
               if level(t) > level("tinydl.autograd")}
    assert targets and all(t.startswith("tinydl.ops") for t in targets)

"""What every lesson shares: its options, where figures go, how they are saved and shown.

A lesson is a jupytext "percent" script: it runs top to bottom as a script
(`python lessons/04_mnist_cnn.py --quick --out DIR`) and opens as a notebook (Jupyter,
JupyterLab, VS Code; `tinydl lessons notebooks DIR` writes the .ipynb files). Its first
code cell makes a `Lesson`, which reads the options from wherever the lesson runs:

* as a script: the command line (`--quick`, `--out DIR`, `--seed N` and the lesson's own
  options, e.g. `--epochs 3`);
* in a notebook kernel: the environment, `TINYDL_QUICK=1` for quick mode and
  `TINYDL_LESSON_ARGS="--epochs 3"` for anything else (a kernel has no command line).

Figures go to files (matplotlib's Agg backend when there is no display), their paths are
printed, and in a notebook the saved picture is shown under the cell as well.
"""
from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib

if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
TRUE = ("1", "true", "yes", "on")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (not when a script is `%run` with its own arguments)."""
    return "ipykernel" in sys.modules and Path(sys.argv[0]).stem in ("ipykernel_launcher",
                                                                     "__main__")


class Lesson:
    """The options of one lesson run.

    `Lesson("04_mnist_cnn", epochs=10)` gives `.quick`, `.out` (the folder for figures
    and files, created), `.seed` (tinydl and NumPy are seeded with it) and one attribute
    per keyword (here `.epochs`, set from the command line with `--epochs N`; the type
    of the default is the option's type, and a False default makes a flag).
    """

    def __init__(self, name: str, description: str = "", **options: Any) -> None:
        parser = argparse.ArgumentParser(prog=f"{name}.py", description=description)
        parser.add_argument("--quick", action="store_true",
                            help="a small run that finishes in seconds (or TINYDL_QUICK=1)")
        parser.add_argument("--out", type=Path, default=None,
                            help=f"folder for figures and files (default lesson_output/{name})")
        parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
        for key, default in options.items():
            flag = "--" + key.replace("_", "-")
            if default is False:
                parser.add_argument(flag, dest=key, action="store_true")
            else:
                kind = str if default is None else type(default)
                parser.add_argument(flag, dest=key, type=kind, default=default)
        if in_notebook():
            argv = shlex.split(os.environ.get("TINYDL_LESSON_ARGS", ""))
        else:
            argv = sys.argv[1:]
        args = parser.parse_args(argv)
        self.name = name
        self.quick = args.quick or os.environ.get("TINYDL_QUICK", "").lower() in TRUE
        if args.out is not None:
            self.out = Path(args.out)
        elif os.environ.get("TINYDL_LESSON_OUT"):
            self.out = Path(os.environ["TINYDL_LESSON_OUT"]) / name
        else:
            self.out = Path("lesson_output") / name
        self.out.mkdir(parents=True, exist_ok=True)
        self.seed = args.seed
        for key in options:
            setattr(self, key, getattr(args, key))
        from tinydl.utils import set_random_seed
        set_random_seed(self.seed)
        mode = "quick mode (a small run)" if self.quick else "full run"
        print(f"{name}: {mode}; files go to {self.out}")

    def path(self, filename: str) -> Path:
        """Where a file of this lesson goes: out/filename."""
        return self.out / filename

    def save(self, fig: "plt.Figure", filename: str) -> Path:
        """Write the figure to out/filename, close it, say where it went (and, in a
        notebook, show the saved picture under the cell)."""
        fig.savefig(self.out / filename, dpi=110, bbox_inches="tight")
        plt.close(fig)
        return self.show(self.out / filename)

    def show(self, path: str | Path) -> Path:
        """Print `wrote PATH` for a picture already on disk (a figure just saved, or one
        another tool wrote, such as tinydl.graphs.draw_graph) and, in a notebook, show it."""
        print(f"wrote {path}")
        if in_notebook():
            from IPython.display import Image, display
            display(Image(filename=str(path)))
        return Path(path)

    def show_source(self, obj: Any) -> str:
        """Show the code of a function or class written elsewhere, e.g. a network of
        tinydl.applications: a line naming it and its file, then its source, printed (in a
        notebook, displayed under the cell as a highlighted code block). Returns the source."""
        source = inspect.getsource(obj)
        name = f"{obj.__module__}.{obj.__qualname__}"
        path = Path(inspect.getsourcefile(obj) or "?")
        top = sys.modules.get(obj.__module__.split(".")[0])
        if top is not None and getattr(top, "__file__", None):
            root = Path(top.__file__).resolve().parent.parent     # the folder above the package
            if path.resolve().is_relative_to(root):
                path = path.resolve().relative_to(root)
        print(f"# {name}, from {path.as_posix()} line {inspect.getsourcelines(obj)[1]}:")
        if in_notebook():
            from IPython.display import Code, display
            display(Code(source, language="python"))
        else:
            print(source.rstrip() + "\n")
        return source


def lesson_source(stem: str) -> str:
    """The code of lessons/<stem>.py, or of <stem>.ipynb where only the notebook exists
    (the folder `tinydl lessons notebooks` writes)."""
    script = HERE / f"{stem}.py"
    if script.exists():
        return script.read_text(encoding="utf-8")
    notebook = HERE / f"{stem}.ipynb"
    if notebook.exists():
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"
                           and not "".join(c["source"]).lstrip().startswith(("%", "!")))
    raise FileNotFoundError(f"no lesson {stem!r} in {HERE} (looked for .py and .ipynb)")


def _is_constant_name(target: ast.expr) -> bool:
    """NAME or (NAME, NAME): UPPER_CASE names of two letters or more (W and X are maths)."""
    if isinstance(target, ast.Tuple):
        return all(_is_constant_name(t) for t in target.elts)
    return isinstance(target, ast.Name) and target.id.isupper() and len(target.id) > 1


def definitions(stem: str) -> SimpleNamespace:
    """The imports, functions, classes and UPPER_CASE constants of a lesson, without running
    the rest of it (the tests read a lesson's functions this way; the networks lessons
    share come from tinydl.applications instead). A one-letter capital (W, X) is a
    variable of the maths, not a constant: it is skipped."""
    tree = ast.parse(lesson_source(stem))
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            keep.append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and all(
                _is_constant_name(t) for t in (node.targets if isinstance(node, ast.Assign)
                                               else [node.target])):
            keep.append(node)
    namespace: dict[str, Any] = {"__name__": f"lesson_{stem}"}
    exec(compile(ast.Module(body=keep, type_ignores=[]), f"{stem}.py", "exec"), namespace)
    return SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})

"""The shape of the code, checked: the layer contracts in pyproject.toml (import-linter, which
``make lint`` runs too), no import cycle between any two modules of ``piglist/`` (imports inside
functions included: a lazy import is a cycle postponed), and a floor that shows the layers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "piglist"
# create_app's package, the unbound extensions, the models, the errors the domain raises: what
# every layer shares. Anything else on the floor belongs in a package named for its layer or area.
MAX_LOOSE_MODULES = 8


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_no_import_cycles_in_piglist():
    graph = grimp.build_graph("piglist", cache_dir=None)
    assert graph.direct_import_exists(importer="piglist", imported="piglist.gifts.routes"), (
        "create_app's imports inside the function are edges too"
    )
    cycles = sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert cycles == []


def test_the_floor_holds_few_loose_modules():
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(loose) <= MAX_LOOSE_MODULES, loose

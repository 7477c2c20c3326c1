"""The test suite's own shape: shared fixtures and helpers live in tests/conftest.py,
tests/_helpers.py or tests/shared/, and no test module imports another (importing one runs its
module-level fixtures into the importer and ties the two modules' edits together)."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _test_module(module, names):
    parts = module.split(".")
    return parts[-1].startswith("test_") or any(n.startswith("test_") for n in names)


def test_no_test_module_imports_another():
    offenders = [
        f"{path.relative_to(TESTS)}: {module}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for module, names in _imported_modules(path)
        if module.startswith("tests") and _test_module(module, names)
    ]
    assert offenders == []

"""The method seam: what a method is stays in its package, and imports flow one way.

A method added in one package must show up in the wizard, Security info, sign-in, step-up,
reset and the ID token's ``amr`` without touching another app, so no app outside
``twofold/methods/`` may name a method's key in its Python code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from twofold.methods.registry import all_methods

TWOFOLD = Path(__file__).resolve().parents[2] / "twofold"
METHODS = TWOFOLD / "methods"

# "email" is also the name of the user's email field and of the OpenID Connect scope and
# claim: these files use it in those senses, never for the email method.
EMAIL_FIELD_NOT_METHOD = {
    "accounts/admin.py",
    "fraud/services.py",
    "oidc/claims.py",
    "oidc/validators.py",
    "settings.py",
}


def _apps_outside_methods() -> list[str]:
    return sorted(
        path.name
        for path in TWOFOLD.iterdir()
        if path.is_dir() and path != METHODS and any(path.rglob("*.py"))
    )


def _python_files(app: Path) -> list[Path]:
    return [path for path in sorted(app.rglob("*.py")) if "migrations" not in path.parts]


def _keys_named(path: Path, keys: set[str]) -> list[str]:
    relative = path.relative_to(TWOFOLD).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in keys:
            if node.value == "email" and relative in EMAIL_FIELD_NOT_METHOD:
                continue
            found.append(f"{relative}:{node.lineno} {node.value!r}")
    return found


@pytest.mark.parametrize("app", _apps_outside_methods())
def test_no_app_outside_methods_names_a_method_key(app: str) -> None:
    keys = {method.key for method in all_methods()}
    named = [hit for path in _python_files(TWOFOLD / app) for hit in _keys_named(path, keys)]
    assert named == [], "ask the method (registry, interface) instead of naming its key"


def test_top_level_modules_name_no_method_key() -> None:
    keys = {method.key for method in all_methods()}
    named = [hit for path in sorted(TWOFOLD.glob("*.py")) for hit in _keys_named(path, keys)]
    assert named == []


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def _method_layer() -> list[Path]:
    """The method packages and what they build on (not web.py/stepup.py/flows.py above them)."""
    packages = [path for path in METHODS.iterdir() if (path / "method.py").exists()]
    modules = [METHODS / name for name in ("base.py", "codes.py", "registry.py", "models.py")]
    return sorted([*modules, *(file for package in packages for file in package.rglob("*.py"))])


def test_methods_read_policy_from_the_snapshot_not_the_services() -> None:
    # policy.services imports the registry: a method importing it (even inside a function,
    # to dodge the cycle) makes the layers a knot.
    importing = [
        path.relative_to(TWOFOLD).as_posix()
        for path in _method_layer()
        if "twofold.policy.services" in _imported_modules(path)
    ]
    assert importing == []


def test_policy_snapshot_imports_only_models_and_core() -> None:
    imported = {
        module
        for module in _imported_modules(TWOFOLD / "policy" / "snapshot.py")
        if module.startswith("twofold.")
    }
    assert imported <= {"twofold.core", "twofold.core.caching", "twofold.policy.models"}


def _imports_of_app(app: str) -> dict[str, set[str]]:
    # Views are entry points (the dev phone's keypad and Twilio's webhooks hand the keys to
    # the phone method): the layers are what they call.
    return {
        path.relative_to(TWOFOLD).as_posix(): _imported_modules(path)
        for path in _python_files(TWOFOLD / app)
        if path.name != "views.py"
    }


@pytest.mark.parametrize(
    ("app", "below"),
    [
        # Gateways place calls for the phone method; what the keys mean is the method's.
        ("messaging", ("twofold.methods",)),
        # Methods, push and messaging raise and check fraud alerts: it sits below them all.
        ("fraud", ("twofold.methods", "twofold.push", "twofold.messaging", "twofold.policy")),
    ],
)
def test_lower_apps_import_nothing_from_above(app: str, below: tuple[str, ...]) -> None:
    upward = {
        path: sorted(m for m in modules if m.startswith(below))
        for path, modules in _imports_of_app(app).items()
        if any(m.startswith(below) for m in modules)
    }
    assert upward == {}

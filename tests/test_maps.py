"""The maps a newcomer reads cannot drift: the module docstrings that list the routes, the
modules and ``app.state`` (``server/app.py``, ``server/__init__.py``, ``server/views/__init__.py``)
against the app itself; and no view imports another."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import hotline_kg.server as server_package
import hotline_kg.server.views as views_package
from hotline_kg.server import app as app_module
from hotline_kg.server import sparql

VIEWS = sorted(m.name for m in pkgutil.iter_modules(views_package.__path__))


def _static_part(path: str) -> str:
    """The part of a route's path before its first parameter ("/dumps/{name}" → "/dumps/")."""
    return path.split("{", 1)[0]


def _routes() -> list[tuple[str, str]]:
    """(view module, path) of every route the views define."""
    found = []
    for name in VIEWS:
        module = importlib.import_module(f"hotline_kg.server.views.{name}")
        found += [(name, route.path) for route in module.router.routes]  # type: ignore[attr-defined]
    return found


def test_every_view_is_mounted_and_named_in_each_map():
    mounted = re.findall(r"\b(\w+)\.router\b", Path(app_module.__file__).read_text(encoding="utf-8").split('"""', 2)[2])
    for name in VIEWS:
        assert f"views.{name}.router" in app_module.__doc__, f"server/app.py does not list views.{name}"
        assert f"``{name}``" in views_package.__doc__, f"server/views/__init__.py does not list {name}"
        assert f"``{name}``" in server_package.__doc__, f"server/__init__.py does not list {name}"
        assert name in mounted or f"{name}_view" in mounted, f"views.{name}.router is not mounted by create_app"


def test_every_route_is_in_the_map_of_the_views():
    for view, path in _routes():
        prefix = _static_part(path)
        if prefix == "/" and path != "/":  # the resource route takes every other path
            assert view == "resource"
            continue
        assert f"``{prefix}" in views_package.__doc__, f"server/views/__init__.py does not name {path} ({view})"


def test_the_endpoint_paths_are_in_the_map():
    for path in sparql.PATHS:
        assert f"``{path.rstrip('/')}``" in app_module.__doc__


def test_every_module_of_the_server_is_in_its_map():
    for module in pkgutil.iter_modules(server_package.__path__):
        if module.name not in ("app", "views", "engine"):
            assert f"``{module.name}``" in server_package.__doc__, f"server/__init__.py does not name {module.name}"
    engine = Path(server_package.__file__).parent / "engine"
    for module in pkgutil.iter_modules([str(engine)]):
        named = f"``{module.name}``" in server_package.__doc__ or f"``{module.name}." in server_package.__doc__
        assert named, f"server/__init__.py does not name engine/{module.name}"


def test_every_key_of_app_state_is_in_the_map(client):
    state = client.app.state._state  # after start-up: every key the lifespan sets
    assert {"settings", "engine", "build", "answers", "search"} <= set(state)
    for key in state:
        assert f"``{key}``" in app_module.__doc__, f"server/app.py does not list app.state.{key}"


@pytest.mark.parametrize("view", VIEWS)
def test_no_view_imports_another(view):
    source = Path(views_package.__path__[0], f"{view}.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    others = {f"hotline_kg.server.views.{v}" for v in VIEWS}
    assert not imported & others, f"views/{view}.py imports {sorted(imported & others)}"

"""The type stubs (nudge/_nudge.pyi) name every public name of the compiled
module, so editors complete all of them."""

import ast
import pathlib

import nudge
from nudge import _nudge


def stub_names():
    tree = ast.parse((pathlib.Path(nudge.__file__).parent / "_nudge.pyi").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_stubs_cover_every_public_name():
    public = {n for n in dir(_nudge) if not n.startswith("_")}
    assert sorted(public - stub_names()) == []


def test_stubs_name_the_new_api():
    names = stub_names()
    for n in ("load_config", "validate_config", "save_config", "LoadedConfig", "ConfigIssue", "QuietHours", "EventRule",
              "Reports", "ManagerReport", "Dispatcher", "CollectingNotifier", "PrintNotifier", "JsonLinesNotifier",
              "RoutingNotifier", "Progress", "Cancelled", "Hit", "Evaluation", "Watch", "WatchChanges"):
        assert n in names and hasattr(nudge, n), n

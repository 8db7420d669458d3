"""The error hierarchy mirrors C++ (nudge::error and its subclasses), and
every public name has a docstring."""

import inspect

import pytest

import nudge


def test_errors_hierarchy_mirrors_cpp():
    assert issubclass(nudge.Error, RuntimeError)
    for e in (nudge.NotFound, nudge.InvalidArgument, nudge.Conflict, nudge.StorageError, nudge.ConfigurationError):
        assert issubclass(e, nudge.Error), e
    assert issubclass(nudge.InvalidArgument, ValueError)
    assert issubclass(nudge.NotFound, LookupError)


def test_errors_cpp_exceptions_map_to_their_python_class():
    s = nudge.MemoryStorage()
    with pytest.raises(nudge.NotFound, match="client 20: owner: unknown manager 99"):
        with s.begin() as w:
            w.put_client(nudge.Client(20, "X", 99))
    with pytest.raises(nudge.InvalidArgument):
        nudge.Period.parse("never")
    w = s.begin()
    with pytest.raises(nudge.Conflict):
        s.begin()
    w.rollback()
    with pytest.raises(nudge.ConfigurationError, match="no forgotten assistant with id 'nope'"):
        nudge.Engine(nudge.EngineConfig(release=[nudge.ReleaseConfig(forgotten="nope")]))


def _public(obj):
    return [n for n in dir(obj) if not n.startswith("_")]


def test_errors_every_public_name_has_a_docstring():
    missing = []
    for name in _public(nudge):
        obj = getattr(nudge, name)
        if isinstance(obj, (str, int)) or name == "UTC":
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj) and not hasattr(obj, "__members__"):
            for attr, value in vars(obj).items():
                if attr.startswith("_"):
                    continue
                doc = getattr(value, "__doc__", None) or ""
                # pybind11 puts the signature on the first line; a real docstring follows it
                lines = [l for l in doc.splitlines()[1:] if l.strip()] if callable(value) else doc.strip()
                if isinstance(value, property) or inspect.isclass(value):  # nested classes: no signature line
                    lines = doc.strip()
                if not lines:
                    missing.append(f"{name}.{attr}")
    assert missing == []

"""Importing LanceDB without the REST client it never calls here.

`import lancedb` (0.40) took about two seconds on this 2-core machine, and more than
half of that was one package's `__init__`: `lance_namespace_urllib3_client`, the
generated client of Lance's REST namespace server, whose `__init__` imports every API
class (each method wrapped by pydantic's `validate_call`), `urllib3` and every model.
LanceDB imports the package at start-up only for model types, through its `models`
subpackage, and an embedded database never talks to a namespace server.

`lancedb()` imports LanceDB with that package's own `__init__` put off until something
asks the package itself for a name (PEP 562's module `__getattr__`): its subpackages
import as before, from the package's path, and the first `from
lance_namespace_urllib3_client import X` or `lance_namespace_urllib3_client.X` runs
the real `__init__` and answers from it, so nothing that uses the client sees a
difference. Every process that opens the chunk store imports LanceDB this way: the
daemon, `kenning index`, the embedding workers; a cold index of a small repository
waited on that import (its chunk writer opens the store while the parse workers run).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

# The package whose `__init__` is put off (`lance_namespace`'s dependency).
REST_CLIENT = "lance_namespace_urllib3_client"


def lancedb() -> ModuleType:
    """The `lancedb` module, imported (once per process) with the REST client's
    package `__init__` put off until the package is first asked for a name, and
    quiet: Lance logs routine notices ("no existing dataset, creating") at WARN on
    stderr unless `LANCEDB_LOG` says otherwise."""
    os.environ.setdefault("LANCEDB_LOG", "error")
    if "lancedb" not in sys.modules:
        defer_package_init(REST_CLIENT)
    import lancedb as module

    return module


def defer_package_init(name: str) -> bool:
    """Register package `name` without running its `__init__`: its subpackages and
    modules import as usual, and the first attribute asked of the package itself runs
    the `__init__`. False (and nothing done) when the package is already imported,
    is missing, or is a plain module."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader
    ran = False

    def __getattr__(attr: str) -> Any:
        nonlocal ran
        # Dunder names are asked by the import system and by introspection (`__file__`,
        # `__all__` for a star import): those of a module without its `__init__` run
        # are what they would be anyway, except `__all__`, which the `__init__` sets.
        if ran or (attr.startswith("__") and attr != "__all__"):
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        ran = True
        loader.exec_module(package)
        return getattr(package, attr)

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = package
    return True


__all__ = ["REST_CLIENT", "defer_package_init", "lancedb"]

"""Where each call, import and base class points after a full index, and how sure we are.

One small workspace exercises every resolution rule; each table below maps an edge,
`(source symbol id, callee text / imported name / base expression)`, to the
`(target id, resolution kind)` a user would expect to navigate to.
"""

from __future__ import annotations

import pytest

from helpers import Workspace, confidences, edges, rows
from kenning.engine import Engine

WORKSPACE = {
    "pkg/__init__.py": """
        from .base import Model
        """,
    "pkg/base.py": """
        class Model:
            def save(self):
                self.validate()

            def validate(self):
                pass
        """,
    "pkg/users.py": """
        from pkg import Model
        from .helpers import slugify as slug
        import pkg.util as u
        import pkg.util
        import os.path
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pkg.base import Model as ModelType
        try:
            import json
        except ImportError:
            json = None


        class User(Model):
            def save(self):
                super().save()
                self.validate()
                self.greet()

            def greet(self):
                return slug(self.name)


        def top():
            return 1


        def make():
            def inner():
                return top()

            inner()
            top()
            u.fmt()
            pkg.util.fmt()
            os.path.join("a", "b")
            len([])
            thing.very_unique_method()
            nowhere_to_be_found()
            return User()
        """,
    "pkg/helpers.py": """
        def slugify(text):
            return text
        """,
    "pkg/util.py": """
        def fmt():
            pass
        """,
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": """
        from ..util import fmt
        from ..helpers import *


        def run():
            fmt()
            slugify("x")
        """,
    "pkg/other.py": """
        class Thing:
            def very_unique_method(self):
                pass
        """,
    "src/lib/__init__.py": "",
    "src/lib/core.py": """
        def engine():
            pass
        """,
    "src/lib/api.py": """
        from lib.core import engine
        from lib import core


        def serve():
            engine()
            core.engine()
        """,
}

CALLS = {
    # self.method on the class itself, and inherited through a base in another file.
    ("pkg/base.py#Model.save", "self.validate"): ("pkg/base.py#Model.validate", "self"),
    ("pkg/users.py#User.save", "self.validate"): ("pkg/base.py#Model.validate", "self"),
    ("pkg/users.py#User.save", "self.greet"): ("pkg/users.py#User.greet", "self"),
    # super() skips the class's own method.
    ("pkg/users.py#User.save", "super().save"): ("pkg/base.py#Model.save", "self"),
    # Same-file function, and a nested function of the caller.
    ("pkg/users.py#make", "top"): ("pkg/users.py#top", "same-file"),
    ("pkg/users.py#make.inner", "top"): ("pkg/users.py#top", "same-file"),
    ("pkg/users.py#make", "inner"): ("pkg/users.py#make.inner", "local"),
    # `from .helpers import slugify as slug`.
    ("pkg/users.py#User.greet", "slug"): ("pkg/helpers.py#slugify", "import"),
    # `import pkg.util as u; u.fmt()` and `import pkg.util; pkg.util.fmt()`.
    ("pkg/users.py#make", "u.fmt"): ("pkg/util.py#fmt", "import"),
    ("pkg/users.py#make", "pkg.util.fmt"): ("pkg/util.py#fmt", "import"),
    # A class called as a constructor.
    ("pkg/users.py#make", "User"): ("pkg/users.py#User", "same-file"),
    # `from ..util import fmt` (level 2) and `from ..helpers import *`.
    ("pkg/sub/deep.py#run", "fmt"): ("pkg/util.py#fmt", "import"),
    ("pkg/sub/deep.py#run", "slugify"): ("pkg/helpers.py#slugify", "import"),
    # src/ layout: `src/lib/core.py` is module `lib.core`.
    ("src/lib/api.py#serve", "engine"): ("src/lib/core.py#engine", "import"),
    ("src/lib/api.py#serve", "core.engine"): ("src/lib/core.py#engine", "import"),
    # Builtins and modules outside the workspace.
    ("pkg/users.py#make", "len"): ("ext:builtins.len", "builtin"),
    ("pkg/users.py#make", "os.path.join"): ("ext:os.path.join", "external"),
    # `thing` is unbound, but only one method in the workspace has this name, and no
    # builtin type has it: a guess by name, presented as one (`name-only`).
    ("pkg/users.py#make", "thing.very_unique_method"): (
        "pkg/other.py#Thing.very_unique_method",
        "name-only",
    ),
    # Nothing matches: the edge is kept, pointing at a placeholder.
    ("pkg/users.py#make", "nowhere_to_be_found"): ("ext:nowhere_to_be_found", "unresolved"),
}

INHERITS = {
    # `from pkg import Model` follows the re-export in pkg/__init__.py.
    ("pkg/users.py#User", "Model"): ("pkg/base.py#Model", "import"),
}

IMPORTS = {
    ("pkg/__init__.py#", "Model"): ("pkg/base.py#Model", "import"),
    ("pkg/users.py#", "Model"): ("pkg/base.py#Model", "import"),
    ("pkg/users.py#", "slugify"): ("pkg/helpers.py#slugify", "import"),
    ("pkg/users.py#", "pkg.util"): ("pkg/util.py#", "import"),
    ("pkg/users.py#", "os.path"): ("ext:os.path", "external"),
    ("pkg/users.py#", "TYPE_CHECKING"): ("ext:typing.TYPE_CHECKING", "external"),
    ("pkg/users.py#", "json"): ("ext:json", "external"),
    ("pkg/sub/deep.py#", "fmt"): ("pkg/util.py#fmt", "import"),
    ("pkg/sub/deep.py#", "*"): ("pkg/helpers.py#", "import"),
    ("src/lib/api.py#", "engine"): ("src/lib/core.py#engine", "import"),
    ("src/lib/api.py#", "core"): ("src/lib/core.py#", "import"),
}


@pytest.fixture
def engine(workspace: Workspace) -> Engine:
    return workspace.indexed(WORKSPACE)


def check(found: dict, expected: dict) -> None:
    """Every expected edge is present with the expected target and resolution."""
    got = {key: found.get(key, "<missing>") for key in expected}
    assert got == expected


def test_calls_resolve_to_their_definitions(engine: Engine) -> None:
    check(edges(engine, "CALLS"), CALLS)


def test_base_classes_resolve_through_imports(engine: Engine) -> None:
    check(edges(engine, "INHERITS"), INHERITS)


def test_imports_resolve_to_modules_and_symbols(engine: Engine) -> None:
    check(edges(engine, "IMPORTS"), IMPORTS)


def test_import_flags_are_stored(engine: Engine) -> None:
    flags = rows(
        engine,
        "MATCH (a:Symbol {id: 'pkg/users.py#'})-[e:IMPORTS]->() "
        "RETURN e.module, e.name, e.alias, e.kind, e.conditional, e.type_only",
    )
    assert set(flags) >= {
        ("pkg.base", "Model", "ModelType", "name", True, True),
        ("json", None, "json", "module", True, False),
        (".helpers", "slugify", "slug", "name", False, False),
        ("pkg.util", None, "u", "module", False, False),
        ("pkg", "Model", "Model", "name", False, False),
    }


def test_a_missing_name_of_a_workspace_module_is_unresolved_not_external(
    workspace: Workspace,
) -> None:
    engine = workspace.indexed(
        {
            "app/__init__.py": "",
            "app/util.py": "def fmt(): pass\n",
            "app/main.py": """
                from app.util import missing
                from app import util


                def run():
                    missing()
                    util.absent()
                """,
        }
    )
    check(
        edges(engine, "CALLS"),
        {
            ("app/main.py#run", "missing"): ("ext:app.util.missing", "unresolved"),
            ("app/main.py#run", "util.absent"): ("ext:app.util.absent", "unresolved"),
        },
    )
    check(
        edges(engine, "IMPORTS"),
        {("app/main.py#", "missing"): ("ext:app.util.missing", "unresolved")},
    )


def test_confidence_falls_with_the_evidence(engine: Engine) -> None:
    conf = confidences(engine, "CALLS")
    exact = conf[("pkg/users.py#make", "top")]
    imported = conf[("pkg/users.py#make", "u.fmt")]
    name_only = conf[("pkg/users.py#make", "thing.very_unique_method")]
    unresolved = conf[("pkg/users.py#make", "nowhere_to_be_found")]
    assert exact >= imported > name_only > unresolved == 0.0
    assert all(0.0 <= c <= 1.0 for c in conf.values())

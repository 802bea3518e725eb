"""Java through the real engine: beside Python in one workspace, and an incremental
rename whose caller's edge follows."""

from __future__ import annotations

from helpers import Workspace, edges, rows

SHOP = {
    "shop/src/main/java/com/acme/greet/Greeter.java": """
        package com.acme.greet;

        public class Greeter {
            public String greet(String name) {
                return "hi " + name;
            }
        }
        """,
    "shop/src/main/java/com/acme/app/Main.java": """
        package com.acme.app;

        import com.acme.greet.Greeter;

        public class Main {
            public static void main(String[] args) {
                Greeter greeter = new Greeter();
                greeter.greet("you");
            }
        }
        """,
}
MAIN = "shop/src/main/java/com/acme/app/Main.java"
GREETER = "shop/src/main/java/com/acme/greet/Greeter.java"
CALLER = f"{MAIN}#Main.main"

PYTHON = {
    "tools/__init__.py": "",
    "tools/greet.py": """
        class Greeter:
            def greet(self, name):
                return name


        def main():
            Greeter().greet("x")
        """,
}


def test_java_beside_python_no_edge_crosses_languages(workspace: Workspace) -> None:
    engine = workspace.indexed({**SHOP, **PYTHON})
    languages = dict(rows(engine, "MATCH (f:File) RETURN f.path, f.language"))
    assert languages == {
        MAIN: "java",
        GREETER: "java",
        "tools/__init__.py": "python",
        "tools/greet.py": "python",
    }
    calls = edges(engine)
    assert calls[(CALLER, "greeter.greet")] == (f"{GREETER}#Greeter.greet", "typed")
    assert calls[("tools/greet.py#main", "Greeter().greet")][0] == "tools/greet.py#Greeter.greet"
    for table in ("CALLS", "IMPORTS", "INHERITS"):
        crossing = rows(
            engine,
            f"MATCH (a:Symbol)-[:{table}]->(b:Symbol), (fa:File {{path: a.path}}), "
            "(fb:File {path: b.path}) WHERE fa.language <> fb.language RETURN a.id, b.id",
        )
        assert crossing == []


def test_renaming_a_method_moves_its_callers_edge(workspace: Workspace) -> None:
    engine = workspace.indexed(SHOP)
    assert edges(engine)[(CALLER, "greeter.greet")] == (f"{GREETER}#Greeter.greet", "typed")

    # The method is renamed: the caller's edge loses its target and says so.
    renamed = (workspace.root / GREETER).read_text().replace("greet(String", "hello(String")
    engine.apply_changes([(GREETER, renamed)])
    assert edges(engine)[(CALLER, "greeter.greet")] == (
        "ext:com.acme.greet.Greeter.greet",
        "unresolved",
    )

    # The caller follows the rename: its edge reaches the new method.
    caller = (workspace.root / MAIN).read_text().replace(".greet(", ".hello(")
    engine.apply_changes([(MAIN, caller)])
    calls = edges(engine)
    assert calls[(CALLER, "greeter.hello")] == (f"{GREETER}#Greeter.hello", "typed")
    assert (CALLER, "greeter.greet") not in calls

    # And back in the other order: the method gains the name its caller already uses.
    engine.apply_changes([(MAIN, caller.replace(".hello(", ".greet("))])
    assert edges(engine)[(CALLER, "greeter.greet")][1] == "unresolved"
    engine.apply_changes([(GREETER, renamed.replace("hello(String", "greet(String"))])
    assert edges(engine)[(CALLER, "greeter.greet")] == (f"{GREETER}#Greeter.greet", "typed")

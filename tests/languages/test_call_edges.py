"""Call edges in TypeScript, Java, Go and Rust under issue 18's discipline, one case per
rule: source in, edges and their kinds out.

`edges` are the answers `(caller id, callee text) -> (target id, resolution)` (the
site's edges other than `override` and `candidate`); `more` the extra edges a site
must also have, `(caller id, callee text, target id, resolution)`; `absent` edges it
must not have, `(caller id, callee text, resolution)`.

The cases whose answers read what other files state (`RESTART`) are checked again
after a restart, with the calling files edited: the model is rebuilt from the store's
rows then, so what resolution reads of the other files (a struct's field types, the
trait an impl method implements) must survive the store.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from helpers import Workspace, rows

CASES: dict[str, dict[str, Any]] = {
    # -- ambiguous name-only guesses are candidates, never an answer ----------------
    "typescript: a method name two classes define is two candidates": {
        "files": {
            "a.ts": "export class A { flush() {} }\n",
            "b.ts": "export class B { flush() {} }\n",
            "c.ts": "export function run(x) { x.flush(); }\n",
        },
        "edges": {},
        "more": [
            ("c.ts#run", "x.flush", "a.ts#A.flush", "candidate"),
            ("c.ts#run", "x.flush", "b.ts#B.flush", "candidate"),
        ],
        "absent": [("c.ts#run", "x.flush", "name-only")],
    },
    "typescript: a method name one class defines stays name-only": {
        "files": {
            "a.ts": "export class A { flushAll() {} }\n",
            "c.ts": "export function run(x) { x.flushAll(); }\n",
        },
        "edges": {("c.ts#run", "x.flushAll"): ("a.ts#A.flushAll", "name-only")},
    },
    "go: a method name two types define is two candidates": {
        "files": {
            "go.mod": "module example.com/m\n",
            "a/a.go": "package a\n\ntype A struct{}\n\nfunc (A) Reset() {}\n",
            "b/b.go": "package b\n\ntype B struct{}\n\nfunc (B) Reset() {}\n",
            "c/c.go": 'package c\n\nimport (\n\t"example.com/m/a"\n\t"example.com/m/b"\n)\n\n'
            "var _, _ = a.A{}, b.B{}\n\n"
            "func Run(get func() interface{ Reset() }) {\n\tget().Reset()\n}\n",
        },
        "edges": {},
        "more": [
            ("c/c.go#Run", "get().Reset", "a/a.go#A.Reset", "candidate"),
            ("c/c.go#Run", "get().Reset", "b/b.go#B.Reset", "candidate"),
        ],
        "absent": [("c/c.go#Run", "get().Reset", "name-only")],
    },
    "java: a method of an unknown receiver two classes define is two candidates": {
        "files": {
            "p/A.java": "package p;\npublic class A { public void drain() {} }\n",
            "p/B.java": "package p;\npublic class B { public void drain() {} }\n",
            "p/C.java": "package p;\npublic class C {\n"
            "    void run(Object[] xs) { ((A) xs[0]).drain(); }\n}\n",
        },
        "edges": {},
        "more": [
            ("p/C.java#C.run", "((A) xs[0]).drain", "p/A.java#A.drain", "candidate"),
            ("p/C.java#C.run", "((A) xs[0]).drain", "p/B.java#B.drain", "candidate"),
        ],
        "absent": [("p/C.java#C.run", "((A) xs[0]).drain", "name-only")],
    },
    "rust: a trait method and its one impl are one guess": {
        "files": {
            "Cargo.toml": '[package]\nname = "shop"\n',
            "src/lib.rs": "mod model;\n\npub fn total(x: &dyn std::any::Any) {\n"
            "    let i = make();\n    i.price_of();\n}\n",
            "src/model.rs": "pub trait Priced { fn price_of(&self) -> u32; }\n"
            "pub struct Item;\nimpl Priced for Item { fn price_of(&self) -> u32 { 1 } }\n",
        },
        "edges": {
            ("src/lib.rs#total", "i.price_of"): ("src/model.rs#Item.price_of", "name-only"),
        },
    },
    # -- stated result types of workspace functions, followed across files ---------
    "go: x := pkg.New() and x := New() of another file reach the result's methods": {
        "files": {
            "go.mod": "module example.com/m\n",
            "client/client.go": "package client\n\ntype Client struct{}\n\n"
            "func (c *Client) Do() {}\n\n"
            "func New(url string) (c *Client, err error) { return &Client{}, nil }\n",
            "app/make.go": "package app\n\ntype Job struct{}\n\nfunc (Job) Run() {}\n\n"
            "func NewJob() Job { return Job{} }\n",
            "app/app.go": 'package app\n\nimport "example.com/m/client"\n\n'
            'func Main() {\n\tc, _ := client.New("u")\n\tc.Do()\n'
            "\tj := NewJob()\n\tj.Run()\n}\n",
        },
        "edges": {
            ("app/app.go#Main", "c.Do"): ("client/client.go#Client.Do", "typed"),
            ("app/app.go#Main", "j.Run"): ("app/make.go#Job.Run", "typed"),
        },
    },
    "typescript: const x = make() reaches the methods of the type make states": {
        "files": {
            "conn.ts": "export class Conn {\n  close(): void {}\n}\n"
            "export function open(url: string, retry = (n: number) => n): Conn | null {\n"
            "  return new Conn();\n}\n"
            "export async function later(): Promise<Conn> { return new Conn(); }\n",
            "app.ts": "import { open, later } from './conn';\n"
            "export function main() {\n  const c = open('x');\n  c.close();\n"
            "  const p = later();\n  p.close();\n}\n",
        },
        "edges": {("app.ts#main", "c.close"): ("conn.ts#Conn.close", "typed")},
        # A promise is no `Conn`: its `close` is not looked up on `Conn`.
        "absent": [("app.ts#main", "p.close", "typed")],
    },
    "java: call chains and var locals follow the methods' stated return types": {
        "files": {
            "p/Conn.java": "package p;\npublic class Conn {\n"
            "    public Stream open() { return null; }\n"
            "    public static Conn make() { return new Conn(); }\n}\n",
            "p/Stream.java": "package p;\nimport java.util.List;\npublic class Stream {\n"
            "    public void close() {}\n    public List<String> lines() { return null; }\n"
            "    public int size() { return 0; }\n}\n",
            "p/App.java": "package p;\npublic class App {\n"
            "    Conn conn;\n"
            "    Conn self() { return conn; }\n"
            "    void run(Conn c) {\n"
            "        c.open().close();\n"
            "        var s = c.open();\n        s.close();\n"
            "        Conn.make().open().close();\n"
            "        this.conn.open().close();\n"
            "        self().open().close();\n"
            "        c.open().lines().size();\n"
            "    }\n}\n",
        },
        "edges": {
            ("p/App.java#App.run", "c.open().close"): ("p/Stream.java#Stream.close", "typed"),
            ("p/App.java#App.run", "s.close"): ("p/Stream.java#Stream.close", "typed"),
            ("p/App.java#App.run", "Conn.make().open().close"): (
                "p/Stream.java#Stream.close",
                "typed",
            ),
            ("p/App.java#App.run", "Conn.make().open"): ("p/Conn.java#Conn.open", "typed"),
            ("p/App.java#App.run", "this.conn.open().close"): (
                "p/Stream.java#Stream.close",
                "typed",
            ),
            ("p/App.java#App.run", "self().open().close"): (
                "p/Stream.java#Stream.close",
                "typed",
            ),
        },
        # `List` is outside the workspace: its `size` is not guessed among workspace
        # methods of that name.
        "absent": [("p/App.java#App.run", "c.open().lines().size", "name-only")],
    },
    "java: a method of another arity does not shadow Object's": {
        "files": {
            "p/Verifier.java": "package p;\npublic class Verifier {\n"
            "    ClassLoader loader = getClass().getClassLoader();\n"
            "    protected Class<?> getClass(String type) { return null; }\n"
            '    void run() { getClass("x"); }\n}\n',
        },
        "edges": {
            ("p/Verifier.java#Verifier", "getClass"): ("ext:java.lang.Object.getClass", "builtin"),
            ("p/Verifier.java#Verifier.run", "getClass"): (
                "p/Verifier.java#Verifier.getClass",
                "self",
            ),
        },
    },
    # -- virtual dispatch: overrides and implementations as `override` edges --------
    "java: a call on an interface type reaches its implementations as overrides": {
        "files": {
            "p/Shape.java": "package p;\npublic interface Shape { double area(); }\n",
            "p/Circle.java": "package p;\n"
            "public class Circle implements Shape { public double area() { return 1; } }\n",
            "p/Square.java": "package p;\n"
            "public class Square implements Shape { public double area() { return 2; } }\n",
            "p/Big.java": "package p;\n"
            "public class Big extends Circle { public double area() { return 3; }\n"
            "    public double area(int scale) { return scale; } }\n",
            "p/App.java": "package p;\npublic class App {\n"
            "    double sum(Shape s, Circle c) { return s.area() + c.area(); }\n}\n",
        },
        "edges": {
            ("p/App.java#App.sum", "s.area"): ("p/Shape.java#Shape.area", "typed"),
            ("p/App.java#App.sum", "c.area"): ("p/Circle.java#Circle.area", "typed"),
        },
        "more": [
            ("p/App.java#App.sum", "s.area", "p/Circle.java#Circle.area", "override"),
            ("p/App.java#App.sum", "s.area", "p/Square.java#Square.area", "override"),
            ("p/App.java#App.sum", "s.area", "p/Big.java#Big.area", "override"),
            ("p/App.java#App.sum", "c.area", "p/Big.java#Big.area", "override"),
        ],
        "count": {
            ("p/App.java#App.sum", "s.area", "override"): 3,
            ("p/App.java#App.sum", "c.area", "override"): 1,
        },
    },
    "java: this.m() and m() reach subclass overrides; super.m() does not": {
        "files": {
            "p/Base.java": "package p;\npublic class Base {\n"
            "    void step() {}\n"
            "    void run() { step(); this.step(); }\n}\n",
            "p/Sub.java": "package p;\npublic class Sub extends Base {\n"
            "    void step() { super.step(); }\n}\n",
        },
        "edges": {
            ("p/Base.java#Base.run", "step"): ("p/Base.java#Base.step", "self"),
            ("p/Base.java#Base.run", "this.step"): ("p/Base.java#Base.step", "self"),
            ("p/Sub.java#Sub.step", "super.step"): ("p/Base.java#Base.step", "self"),
        },
        "more": [
            ("p/Base.java#Base.run", "step", "p/Sub.java#Sub.step", "override"),
            ("p/Base.java#Base.run", "this.step", "p/Sub.java#Sub.step", "override"),
        ],
        "absent": [("p/Sub.java#Sub.step", "super.step", "override")],
    },
    "java: a generic interface method is overridden by a concrete parameter type": {
        "files": {
            "p/Visitor.java": "package p;\npublic interface Visitor<T> { void visit(T node); }\n",
            "p/Printer.java": "package p;\npublic class Printer implements Visitor<String> {\n"
            "    public void visit(String node) {}\n    public void visit(int a, int b) {}\n}\n",
            "p/App.java": "package p;\npublic class App {\n"
            '    void go(Visitor<String> v) { v.visit("a"); }\n}\n',
        },
        "edges": {("p/App.java#App.go", "v.visit"): ("p/Visitor.java#Visitor.visit", "typed")},
        "more": [("p/App.java#App.go", "v.visit", "p/Printer.java#Printer.visit", "override")],
        "count": {("p/App.java#App.go", "v.visit", "override"): 1},
    },
    "typescript: implements and extends give overrides of typed and this calls": {
        "files": {
            "shape.ts": "export interface Shape { area(): number; }\n"
            "export class Circle implements Shape { area() { return 1; } }\n"
            "export class Big extends Circle {\n  area() { return 2; }\n"
            "  twice() { return this.area() + super.area(); }\n}\n",
            "app.ts": "import { Shape } from './shape';\n"
            "export function total(s: Shape) { return s.area(); }\n",
        },
        "edges": {
            ("app.ts#total", "s.area"): ("shape.ts#Shape.area", "typed"),
            ("shape.ts#Big.twice", "this.area"): ("shape.ts#Big.area", "self"),
            ("shape.ts#Big.twice", "super.area"): ("shape.ts#Circle.area", "self"),
        },
        "more": [
            ("app.ts#total", "s.area", "shape.ts#Circle.area", "override"),
            ("app.ts#total", "s.area", "shape.ts#Big.area", "override"),
        ],
        "absent": [
            ("shape.ts#Big.twice", "this.area", "override"),
            ("shape.ts#Big.twice", "super.area", "override"),
        ],
    },
    "rust: a call through a trait reaches the impls of the trait as overrides": {
        "files": {
            "Cargo.toml": '[package]\nname = "zoo"\n',
            "src/lib.rs": "pub mod speak;\npub mod dog;\npub mod cat;\n"
            "use speak::Speak;\n\n"
            "pub fn by_ref(s: &dyn Speak) { s.speak(); }\n"
            "pub fn by_bound<T: Clone + Speak>(s: T) { s.speak(); }\n"
            "pub fn by_where<T>(s: &T) where T: Speak { s.speak(); }\n"
            "pub fn by_path(s: &dog::Dog) { Speak::speak(s); }\n"
            "pub fn boxed(s: Box<dyn Speak>) { s.loudly(); }\n"
            "pub fn direct(d: dog::Dog) { d.speak(); }\n"
            "pub struct Kennel<S, T: Speak> { first: S, second: T }\n"
            "impl<S: Speak, T: Speak> Kennel<S, T> {\n"
            "    fn call(&self) { self.first.speak(); self.second.speak(); }\n}\n",
            "src/speak.rs": "pub trait Speak {\n    fn speak(&self);\n"
            "    fn loudly(&self) { self.speak(); }\n}\n",
            "src/dog.rs": "use crate::speak::Speak;\npub struct Dog;\n"
            "impl Speak for Dog {\n    fn speak(&self) {}\n}\n",
            "src/cat.rs": "use crate::speak;\npub struct Cat;\n"
            "impl speak::Speak for Cat {\n    fn speak(&self) {}\n"
            "    fn loudly(&self) {}\n}\n"
            "pub trait Other { fn speak(&self); }\n"
            "impl Other for Cat { fn speak(&self) {} }\n",
        },
        "edges": {
            ("src/lib.rs#by_ref", "s.speak"): ("src/speak.rs#Speak.speak", "typed"),
            ("src/lib.rs#by_bound", "s.speak"): ("src/speak.rs#Speak.speak", "typed"),
            ("src/lib.rs#by_where", "s.speak"): ("src/speak.rs#Speak.speak", "typed"),
            ("src/lib.rs#by_path", "Speak::speak"): ("src/speak.rs#Speak.speak", "import"),
            ("src/lib.rs#boxed", "s.loudly"): ("src/speak.rs#Speak.loudly", "typed"),
            ("src/speak.rs#Speak.loudly", "self.speak"): ("src/speak.rs#Speak.speak", "self"),
            ("src/lib.rs#direct", "d.speak"): ("src/dog.rs#Dog.speak", "typed"),
            # Fields of generic types, by the impl's bound and by the struct's.
            ("src/lib.rs#Kennel.call", "self.first.speak"): ("src/speak.rs#Speak.speak", "typed"),
            ("src/lib.rs#Kennel.call", "self.second.speak"): (
                "src/speak.rs#Speak.speak",
                "typed",
            ),
        },
        "more": [
            ("src/lib.rs#by_ref", "s.speak", "src/dog.rs#Dog.speak", "override"),
            ("src/lib.rs#by_ref", "s.speak", "src/cat.rs#Cat.speak", "override"),
            ("src/lib.rs#by_bound", "s.speak", "src/dog.rs#Dog.speak", "override"),
            ("src/lib.rs#by_where", "s.speak", "src/cat.rs#Cat.speak", "override"),
            ("src/lib.rs#by_path", "Speak::speak", "src/dog.rs#Dog.speak", "override"),
            ("src/lib.rs#boxed", "s.loudly", "src/cat.rs#Cat.loudly", "override"),
            ("src/speak.rs#Speak.loudly", "self.speak", "src/dog.rs#Dog.speak", "override"),
        ],
        # `Cat`'s `Other::speak` implements another trait; a concrete `Dog` receiver
        # dispatches statically.
        "count": {
            ("src/lib.rs#by_ref", "s.speak", "override"): 2,
            ("src/lib.rs#boxed", "s.loudly", "override"): 1,
        },
        "absent": [("src/lib.rs#direct", "d.speak", "override")],
    },
    "rust: self.field.m() follows a field of a struct another file declares": {
        "files": {
            "Cargo.toml": '[package]\nname = "shop"\n',
            "src/lib.rs": "pub mod model;\npub mod store;\npub mod imp;\n",
            "src/model.rs": "use crate::store::Store;\n"
            "pub struct Cart { pub store: Store, pub count: usize }\n",
            "src/store.rs": "pub struct Db;\nimpl Db { pub fn query(&self) {} }\n"
            "pub struct Store { pub db: std::sync::Arc<Db> }\n"
            "impl Store { pub fn save(&self) {} }\n",
            "src/imp.rs": "use crate::model::Cart;\nimpl Cart {\n"
            "    pub fn checkout(&self) {\n        self.store.save();\n"
            "        self.store.db.query();\n        self.count.max(1);\n    }\n}\n",
        },
        "edges": {
            ("src/imp.rs#Cart.checkout", "self.store.save"): (
                "src/store.rs#Store.save",
                "typed",
            ),
            ("src/imp.rs#Cart.checkout", "self.store.db.query"): (
                "src/store.rs#Db.query",
                "typed",
            ),
            ("src/imp.rs#Cart.checkout", "self.count.max"): ("ext:usize::max", "builtin"),
        },
    },
    "java: a field a superclass of another file declares types its receiver": {
        "files": {
            "p/Repo.java": "package p;\npublic class Repo {\n"
            "    public void save() {}\n    public Repo child() { return this; }\n}\n",
            "p/Base.java": "package p;\npublic class Base {\n"
            "    protected Repo repo;\n    protected static Repo SHARED;\n}\n",
            "p/Mid.java": "package p;\npublic class Mid extends Base {}\n",
            "q/Tool.java": "package q;\npublic class Tool { public static void save() {} }\n",
            "p/App.java": "package p;\nimport q.Tool;\npublic class App extends Mid {\n"
            "    void run() {\n        repo.save();\n        this.repo.save();\n"
            "        SHARED.save();\n        repo.child().save();\n"
            "        this.repo.child().save();\n        Tool.save();\n    }\n"
            "    void shadow(Object repo) { repo.save(); }\n}\n",
        },
        "edges": {
            ("p/App.java#App.run", "repo.save"): ("p/Repo.java#Repo.save", "typed"),
            ("p/App.java#App.run", "this.repo.save"): ("p/Repo.java#Repo.save", "typed"),
            ("p/App.java#App.run", "SHARED.save"): ("p/Repo.java#Repo.save", "typed"),
            ("p/App.java#App.run", "repo.child().save"): ("p/Repo.java#Repo.save", "typed"),
            ("p/App.java#App.run", "this.repo.child().save"): (
                "p/Repo.java#Repo.save",
                "typed",
            ),
            # A type name is still a type name.
            ("p/App.java#App.run", "Tool.save"): ("q/Tool.java#Tool.save", "import"),
        },
        # A parameter shadows the inherited field: `Object` has no `save`.
        "absent": [("p/App.java#App.shadow", "repo.save", "typed")],
    },
    "go: fields of structs of other files and of embedded structs type receivers": {
        "files": {
            "go.mod": "module example.com/m\n",
            "store/store.go": "package store\n\ntype DB struct{}\n\n"
            "func (d *DB) Query() {}\n\ntype Store struct {\n\tdb *DB\n\tName string\n}\n\n"
            "func (s *Store) Save() {}\n",
            "app/types.go": 'package app\n\nimport (\n\t"net/http"\n\t"example.com/m/store"\n)\n\n'
            "type Base struct {\n\tStore *store.Store\n\tclient http.Client\n}\n\n"
            "type Server struct {\n\tBase\n\tbackup store.Store\n}\n",
            "app/run.go": "package app\n\n"
            "func (s *Server) Run() {\n\ts.backup.Save()\n\ts.Store.Save()\n"
            "\ts.Base.Store.Save()\n\ts.client.Do(nil)\n}\n\n"
            "func Use(s Server) {\n\ts.Store.Save()\n}\n",
        },
        "edges": {
            ("app/run.go#Server.Run", "s.backup.Save"): ("store/store.go#Store.Save", "typed"),
            # Promoted from the embedded `Base`.
            ("app/run.go#Server.Run", "s.Store.Save"): ("store/store.go#Store.Save", "typed"),
            ("app/run.go#Server.Run", "s.Base.Store.Save"): (
                "store/store.go#Store.Save",
                "typed",
            ),
            ("app/run.go#Use", "s.Store.Save"): ("store/store.go#Store.Save", "typed"),
            # A field of a type from outside the workspace is no workspace method.
            ("app/run.go#Server.Run", "s.client.Do"): (
                "ext:net/http.Client.Do",
                "external",
            ),
        },
    },
}


# Cases checked again after a restart: case -> the calling files edited then.
RESTART = {
    "rust: a call through a trait reaches the impls of the trait as overrides": ["src/lib.rs"],
    "rust: self.field.m() follows a field of a struct another file declares": ["src/imp.rs"],
    "java: a field a superclass of another file declares types its receiver": ["p/App.java"],
    "go: fields of structs of other files and of embedded structs type receivers": ["app/run.go"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_call_edges(workspace: Workspace, case: str) -> None:
    spec = CASES[case]
    files = {path: textwrap.dedent(text) for path, text in spec["files"].items()}
    engine = workspace.indexed(files)
    check_edges(engine, case)


@pytest.mark.parametrize("case", list(RESTART))
def test_call_edges_after_a_restart(workspace: Workspace, case: str) -> None:
    spec = CASES[case]
    files = {path: textwrap.dedent(text) for path, text in spec["files"].items()}
    workspace.indexed(files).close()
    engine = workspace.open()
    # A trailing blank line: new content, the same code, parsed again and resolved
    # against a model the reopened index built from its rows.
    engine.apply_changes([(path, files[path] + "\n") for path in RESTART[case]])
    check_edges(engine, case)


def check_edges(engine: Any, case: str) -> None:
    spec = CASES[case]
    found = rows(
        engine,
        "MATCH (a:Symbol)-[e:CALLS]->(b:Symbol) RETURN a.id, e.callee, b.id, e.resolution",
    )
    answers = {
        (a, text): (b, how) for a, text, b, how in found if how not in ("override", "candidate")
    }
    for key, want in spec["edges"].items():
        assert answers.get(key) == want, (case, key, sorted(found))
    for edge in spec.get("more", ()):
        assert edge in found, (case, edge, sorted(found))
    for (caller, text, how), n in spec.get("count", {}).items():
        assert len([e for e in found if e[:2] == (caller, text) and e[3] == how]) == n, case
    for caller, text, how in spec.get("absent", ()):
        assert not [e for e in found if e[:2] == (caller, text) and e[3] == how], (case, found)

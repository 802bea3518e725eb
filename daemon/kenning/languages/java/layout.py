"""Java module names from paths, for files whose `package` line is missing or unread.

A Java file's real name comes from its `package` declaration plus its file name
(`com/example/Foo.java` declaring `package com.example;` is `com.example.Foo`);
extraction reads that line and prefers it. The layout gives the name the path
suggests, which extraction falls back on for files in the default package or with a
broken header: the source root is the deepest `src/` (then Maven and Gradle's
`main/java/`, `test/java/`, ... below it), or else the deepest folder whose name is
not a Java identifier (a JDK module folder such as `java.base/`, a `my-app/`
checkout), or else the workspace root.

No build file changes these names, so the layout watches none.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SUFFIX = ".java"


def module_name(path: str) -> str:
    """The dotted name the path gives a workspace-relative `.java` file."""
    parts = path.split("/")
    stem = parts[-1].removesuffix(SUFFIX)
    folders = parts[:-1]
    root = 0
    for index, folder in enumerate(folders):
        if not folder.isidentifier():
            root = index + 1
    for index in range(len(folders) - 1, root - 1, -1):
        if folders[index] == "src":
            root = index + 1
            # Maven/Gradle source sets: src/main/java, src/test/java, src/it/java...
            if len(folders) > root + 1 and folders[root + 1] == "java":
                root += 2
            break
    return ".".join([*folders[root:], stem])


class JavaLayout:
    """Path-derived Java names; stateless, since no file changes them."""

    def __init__(self, root: Path, paths: Iterable[str]) -> None:
        self.root = root

    def module_name(self, path: str) -> str:
        return module_name(path)

    def add(self, path: str) -> None:
        """Nothing to learn: a new file does not rename the others."""

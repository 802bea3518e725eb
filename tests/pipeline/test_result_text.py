"""What a signature states after its parameters, as the indexer compares it across a
save (`result_text`): a change there retypes what callers assign from the function."""

from __future__ import annotations

import pytest

from kenning.pipeline.indexer import result_text


@pytest.mark.parametrize(
    ("signature", "result"),
    [
        ("(a) -> Foo", "Foo"),  # Python, Rust, Java as extracted
        ("(a: number): Foo", "Foo"),  # TypeScript
        ("(a int) (*Foo, error)", "(*Foo, error)"),  # Go
        ("[T any](x T) *List[T]", "*List[T]"),  # Go type parameters
        ("<T>(a: T): Promise<T>", "Promise<T>"),  # TypeScript type parameters
        ("(a: (x) => void): Bar", "Bar"),  # parentheses inside the parameters
        ("(a=f(1)) -> Baz", "Baz"),
        ("(a, b)", ""),  # nothing stated
        ("Foo", "Foo"),  # no parameters: the whole text
    ],
)
def test_result_text_is_what_follows_the_parameters(signature: str, result: str) -> None:
    assert result_text(signature) == result

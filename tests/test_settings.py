"""The settings tree from what clients send: kept when valid, defaulted with a warning
when not, and Lua's empty tables (sent as `[]`) read as the empty objects they are."""

from __future__ import annotations

import pytest

from kenning.core.settings import Settings, load_settings


@pytest.mark.parametrize(
    ("raw", "check", "warning"),
    [
        (None, lambda s: s == Settings(), None),
        ([], lambda s: s == Settings(), None),
        ({"embedding": []}, lambda s: s == Settings(), None),
        ({"embedding": {"enabled": False}, "debounceMs": 80},
         lambda s: (s.embedding.enabled, s.debounce_ms) == (False, 80), None),
        ({"debounceMs": "soon"}, lambda s: s.debounce_ms == 200, "'debounceMs' ignored"),
        ({"embedding": {"threads": -3}}, lambda s: s.embedding.threads == 0,
         "'embedding.threads' ignored"),
        ({"colour": "blue"}, lambda s: s == Settings(), "unknown setting 'colour'"),
        ("fast", lambda s: s == Settings(), "settings must be an object, not str"),
    ],
    ids=["none", "lua-empty", "lua-empty-embedding", "valid", "invalid", "nested-invalid",
         "unknown", "not-object"],
)  # fmt: skip
def test_load_settings(raw: object, check: object, warning: str | None) -> None:
    settings, warnings = load_settings(raw)
    assert check(settings)  # type: ignore[operator]
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warning in warnings[0], warnings

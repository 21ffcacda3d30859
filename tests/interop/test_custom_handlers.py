"""JS and Python transfer handlers registered under the same name interoperate."""

from __future__ import annotations

from tests.interop.conftest import NodeRun


def test_a_handler_named_alike_on_both_sides_carries_values_both_ways(custom_handlers: NodeRun) -> None:
    result = custom_handlers["handlers.custom_both_ways"]
    assert result["js_got"] == ["Point", 2, 1]  # JS Point -> Python Point -> JS Point
    assert result["python_got"] == ["Point", 30, 40]  # Python Point -> JS Point -> Python Point

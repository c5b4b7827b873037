"""The typed action methods are the registry's, rendered: regenerated whenever it changes."""

from __future__ import annotations

import inspect

from custify import action_codegen
from custify.client import CustifyClient
from custify.named_actions import method_name, positional_identifier
from models.registry import ACTIONS


def test_the_generated_methods_match_the_registry() -> None:
    assert action_codegen.TARGET.read_text() == action_codegen.render(), (
        "run `python -m custify.action_codegen`"
    )


def test_every_action_is_a_method_with_its_own_parameters() -> None:
    for act in ACTIONS.values():
        params = inspect.signature(getattr(CustifyClient, method_name(act))).parameters
        positional = positional_identifier(act)
        leading = [n for n, p in params.items() if p.kind is p.POSITIONAL_ONLY]
        assert leading == ["self", *([positional] if positional else []), "payload"]
        keywords = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
        named = {i.name for i in act.identifiers} - {positional}
        assert keywords == {*named, *act.parent_params, *act.query, "query", "files"}

"""JSON schema -> llama.cpp grammar, for the in-process backend.

llama-cpp-python's public `LlamaGrammar.from_json_schema` does not work for our schemas, for three
reasons each tested in tests/test_backends.py: (1) it escapes quotes but not backslashes in literals,
so an enum value containing a quote (the judge and the extractor restrict quotes to the article's
sentences, and news sentences quote people) yields an invalid grammar, and llama.cpp aborts the
process on an invalid grammar; (2) its string rule lets raw control characters (newlines) into
strings, which is invalid JSON; (3) it takes no property order, and a weak model must fill the short
decisive fields first. So `schema_grammar` uses its (private) SchemaConverter with one override and
one patch, both isolated in `_converter_class` and `_strict_char_rule`.
"""

from __future__ import annotations

import copy
from typing import Any

# Short, decisive fields first: a weak model that rambles then rambles only in the rationale.
GRAMMAR_PROPERTY_ORDER = {name: i for i, name in enumerate(["sentence_ids", "label", "citations", "confidence"])}

# The converter's string-character rule, and the same rule without control characters.
LOOSE_CHAR_RULE = 'char ::= [^"\\\\] |'
STRICT_CHAR_RULE = 'char ::= [^"\\\\\\x00-\\x1F\\x7F] |'


def schema_grammar(schema: dict):
    """A LlamaGrammar for a JSON schema (see the module docstring for why not the public helper)."""
    from llama_cpp.llama_grammar import LlamaGrammar

    converter = _converter_class()(prop_order=GRAMMAR_PROPERTY_ORDER, allow_fetch=False, dotall=False,
                                   raw_pattern=False)
    converter.visit(converter.resolve_refs(copy.deepcopy(schema), "schema"), "")
    return LlamaGrammar.from_string(_strict_char_rule(converter.format_grammar()), verbose=False)


def _converter_class():
    """llama-cpp-python's private SchemaConverter, with `_format_literal` escaping backslashes as
    upstream llama.cpp does (private API: tests/test_backends.py fails if its shape changes)."""
    from llama_cpp import llama_grammar

    class FixedConverter(llama_grammar.SchemaConverter):
        def _format_literal(self, literal: str) -> str:
            escaped = literal.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
            return f'"{escaped}"'

    return FixedConverter


def _strict_char_rule(gbnf: str) -> str:
    """Keep raw control characters out of JSON strings (the converter's rule lets them in; a test
    fails if that rule's text changes and this replacement silently stops applying)."""
    return gbnf.replace(LOOSE_CHAR_RULE, STRICT_CHAR_RULE)


def grammar_friendly(schema: dict, max_string: int = 100, max_items: int = 8) -> dict:
    """Tighten a schema for a weak grammar-constrained model: bounded strings and lists, and a
    0-1 score as a choice of tenths (llama.cpp grammars cannot bound floats). The parser still
    validates the reply against the ordinary schema."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and "enum" not in node:
                node.setdefault("maxLength", max_string)
            if node.get("type") == "array":
                node.setdefault("maxItems", max_items)
            if node.get("type") == "number" and node.get("minimum") == 0 and node.get("maximum") == 1:
                node.clear()
                node["enum"] = [round(i / 10, 1) for i in range(11)]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema

"""YAML text to data, keeping the node tree so every complaint can name its line.

PyYAML silently keeps the last of two equal keys in a mapping; in a policy that hides a
rule, so duplicates are refused here before the data is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from bot.errors import PolicyError

PathStep = str | int
TEXT_KEY_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"})
EMPTY_POLICY = "the policy file is empty; start from the policy.yaml shipped with socbot"


@dataclass(frozen=True)
class YamlDocument:
    data: Any
    root: yaml.Node
    source: str

    def line_of(self, path: Sequence[PathStep]) -> int:
        """1-based line of the node at path; the deepest existing ancestor if it is missing."""
        node, key_node = self.root, None
        for step in path:
            entry = _child(node, step)
            if entry is None:
                break
            key_node, node = entry
        return (key_node or node).start_mark.line + 1


def _child(node: yaml.Node, step: PathStep) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                return key_node, value_node
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        return (None, node.value[step]) if 0 <= step < len(node.value) else None
    return None


def decode_text(raw: bytes, source: str) -> str:
    """The file's bytes as text (UTF-8, a BOM allowed); PolicyError naming the line if not."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        reason = f"the file is not UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        raise PolicyError(reason, file=source, line=line) from error


def parse_yaml(text: str, source: str, *, empty_reason: str = EMPTY_POLICY) -> YamlDocument:
    """One YAML document with its node tree; PolicyError (file, line) for empty text, bad
    syntax or a duplicate key."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise PolicyError(empty_reason, file=source, line=1)
        refuse_duplicate_keys(root, source)
        return YamlDocument(loader.construct_document(root), root, source)
    except yaml.MarkedYAMLError as error:
        raise syntax_error(error, source) from error
    except yaml.YAMLError as error:
        raise PolicyError(f"YAML error: {error}", file=source) from error
    finally:
        loader.dispose()


def syntax_error(error: yaml.MarkedYAMLError, source: str) -> PolicyError:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    reason = f"YAML syntax error: {error.problem or error.context}"
    if error.context and error.problem and error.context_mark is not None:
        reason += f" ({error.context} at line {error.context_mark.line + 1})"
    reason += "; check the indentation and quoting here"
    return PolicyError(reason, file=source, line=line)


def refuse_duplicate_keys(root: yaml.Node, source: str) -> None:
    """Walk every mapping once (aliases may share or even loop nodes) and refuse a repeat."""
    pending: list[tuple[yaml.Node, str]] = [(root, "")]
    visited: set[int] = set()
    while pending:
        node, where = pending.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            _check_mapping(node, where, source)
            pending.extend((value, _join(where, key.value)) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend((item, f"{where}[{i}]") for i, item in enumerate(node.value))


def _check_mapping(node: yaml.MappingNode, where: str, source: str) -> None:
    first_line: dict[tuple[str, Any], int] = {}
    for key_node, _value in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag not in TEXT_KEY_TAGS:
            raise PolicyError(_not_text(key_node, where), file=source, line=line)
        key = (key_node.tag, key_node.value)
        if key in first_line:
            raise PolicyError(
                f"duplicate key '{key_node.value}' in {where or 'the top level'} "
                f"(first at line {first_line[key]}); YAML would silently keep only the last "
                "one, so merge them or remove one",
                file=source,
                line=line,
            )
        first_line[key] = line


def _not_text(key_node: yaml.Node, where: str) -> str:
    spelled = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a list or mapping"
    read_as = key_node.tag.rsplit(":", 1)[-1]
    return (
        f"key {spelled} in {where or 'the top level'} is read as {read_as}, not text; "
        "put it in quotes"
    )


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)

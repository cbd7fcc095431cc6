"""Safe, bounded YAML reading shared by every file the tool parses.

Files come from repos we do not control, so: the C safe loader when present,
a size cap, no aliases (which is what makes "billion laughs" documents
expensive), and duplicate mapping keys refused with their line number,
because a plain mapping silently keeps the last one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kaizen_agentic.errors import KaizenError

MAX_YAML_BYTES = 256 * 1024

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(KaizenError):
    """A YAML document that is too large, malformed or unsafe."""


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that refuses aliases and duplicate keys."""

    def construct_document(self, node: Any) -> Any:
        _refuse_aliases(node)
        return super().construct_document(node)

    # set on a subclass by load_yaml: duplicates are collected here instead of raised
    duplicates: list[DuplicateKeyError] | None = None

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if isinstance(key, (str, int, float, bool)) and key in seen:
                if self.duplicates is None:
                    raise DuplicateKeyError(str(key), line)
                self.duplicates.append(DuplicateKeyError(str(key), line))
            if isinstance(key, (str, int, float, bool)):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> Any:
        # Python refuses int() of a string over 4300 digits with a ValueError.
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise YamlError(
                f"a number of {len(str(node.value))} characters (line {node.start_mark.line + 1})"
                " is too long to read; shorten it"
            ) from None


class DuplicateKeyError(YamlError):
    """A mapping with the same key twice; ``key`` and ``line`` name the second one."""

    def __init__(self, key: str, line: int, source: str = "<yaml>") -> None:
        super().__init__(f"{source}: duplicate key {key!r} (line {line}); keep only one entry")
        self.key = key
        self.line = line


def _refuse_aliases(root: Any) -> None:
    """Raise on the first node reached twice: that is what an alias produces.

    The walk stops at the first repeat, so an alias bomb costs linear time.
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise YamlError(
                f"YAML aliases are not allowed (anchor at line {node.start_mark.line + 1}); "
                "write the value out in full"
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                stack.extend((key_node, value_node))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping
)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)


def read_yaml_text(
    path: Path,
    *,
    what: str,
    source: str | None = None,
    max_bytes: int = MAX_YAML_BYTES,
    root: Path | None = None,
) -> str:
    """A YAML file's text, capped and UTF-8 checked; FileNotFoundError passes through.

    One byte past the cap is read, so an oversized file is refused unread.
    Only a regular file is read (a FIFO is refused, never waited on); with
    *root* the file must lie inside that project (SPEC §1). Other problems
    raise :class:`YamlError` naming *source* (default: the path).
    """
    from kaizen_agentic._fs import open_read
    from kaizen_agentic.errors import KaizenError

    shown = source or str(path)
    try:
        with open_read(root, path) as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise
    except KaizenError as exc:
        raise YamlError(exc.message) from None
    except OSError as exc:
        raise YamlError(f"{path}: cannot read the {what} ({exc.strerror or exc}); fix it") from None
    if len(data) > max_bytes:
        raise YamlError(f"{shown}: file is over the {max_bytes}-byte limit; shorten it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(
            f"{shown}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None


def load_yaml(
    text: str,
    *,
    source: str = "<yaml>",
    max_bytes: int = MAX_YAML_BYTES,
    duplicates: list[DuplicateKeyError] | None = None,
) -> Any:
    """Parse one YAML document safely; raise :class:`YamlError` naming *source*.

    With *duplicates*, a repeated key is appended there (the last value
    wins) instead of raising, so a caller can report every other problem too.
    """
    loader: type[_StrictLoader] = _StrictLoader
    if duplicates is not None:
        loader = type("_CollectingLoader", (_StrictLoader,), {"duplicates": duplicates})
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        raise YamlError(
            f"{source}: file is {size} bytes, over the {max_bytes}-byte limit; shorten it"
        )
    try:
        return yaml.load(text, Loader=loader)
    except DuplicateKeyError as exc:
        raise DuplicateKeyError(exc.key, exc.line, source) from None
    except YamlError as exc:
        raise YamlError(f"{source}: {exc.message}") from None
    except UnicodeEncodeError:
        raise YamlError(f"{source}: text is not valid Unicode; save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(f"{source}: invalid YAML{where}: {problem}") from None

"""Splitting AT parameter lists: comma-separated, quoted strings may hold commas, parenthesised
lists ("(1,2),(3)") stay whole, and empty fields are kept (reference §3.3, like Nordic's at_parser)."""

from __future__ import annotations


def split_fields(text: str) -> list[str]:
    """'5,"1A2B","01A2B3C4",8,,' -> ['5', '1A2B', '01A2B3C4', '8', '', '']: quotes removed."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    depth = 0
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted and depth == 0:
            fields.append("".join(current).strip())
            current = []
        else:
            if not quoted:
                depth += (char == "(") - (char == ")")
            current.append(char)
    fields.append("".join(current).strip())
    return fields


def int_field(fields: list[str], index: int, base: int = 10) -> int | None:
    """The integer at `index`, or None when the field is missing, empty or not a number."""
    if index >= len(fields) or not fields[index]:
        return None
    try:
        return int(fields[index], base)
    except ValueError:
        return None


def str_field(fields: list[str], index: int) -> str | None:
    """The text at `index`, or None when missing or empty."""
    if index >= len(fields) or not fields[index]:
        return None
    return fields[index]

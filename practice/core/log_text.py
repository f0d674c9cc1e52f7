"""Text that may go into a log line: control characters escaped, so no value can forge a line.

A request path, a header or an exception's place may hold an encoded CR or LF (``/x%0a...``);
written as is, it would start a new, fake line in a plain-text log (or a terminal escape). Every
log writer (the app's request log, gunicorn's access and error logs) passes its text through
:func:`escape_control`; JSON lines are escaped by :func:`json_line`.
"""

from __future__ import annotations

import json
import unicodedata


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\\":
        return "\\\\"  # so that an escaped "\n" cannot be mistaken for one a client typed
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _needs_escape(char: str) -> bool:
    # Cc: C0 and C1 controls and DEL; Zl/Zp: U+2028/U+2029, which some readers split lines at.
    return char == "\\" or unicodedata.category(char) in ("Cc", "Zl", "Zp")


_TABLE = {code: _escape(chr(code)) for code in range(0x10000) if _needs_escape(chr(code))}
_CONTROLS_ONLY = {code: value for code, value in _TABLE.items() if code != ord("\\")}


def escape_control(text: object, *, backslashes: bool = True) -> str:
    """``text`` as a string with every control or line-separating character escaped (``\\n``,
    ``\\r``, ``\\t``, ``\\xNN``, ``\\uNNNN``): always one line. Backslashes are doubled too
    unless ``backslashes`` is false (for text already escaped, such as a JSON line)."""
    return str(text).translate(_TABLE if backslashes else _CONTROLS_ONLY)


def json_line(entry: dict, **kwargs) -> str:
    """``entry`` as one JSON line: ``json.dumps`` escapes C0 controls and (ASCII only) every
    non-ASCII character; DEL is escaped too, as some terminals act on it."""
    return json.dumps(entry, ensure_ascii=True, **kwargs).replace("\x7f", "\\u007f")

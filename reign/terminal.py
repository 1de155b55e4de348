"""What reaches a terminal is inert: text from tools, the model, sessions and the audit trail is untrusted.

A pod log or a model's answer may carry terminal control sequences: clear the screen (CSI 2J), set the
window title (OSC 0), write to the clipboard (OSC 52), move the cursor up and overwrite the lines above an
approval prompt (CR, backspace, CSI A), or switch character sets. Every sequence starts with a control
character (ESC, a C1 control such as U+009B, CR, BS...), so escaping each control character as visible text
(`\\x1b[2J`, `\\r`) neutralises them all, CSI, OSC, DCS, APC, PM and SOS alike, and still shows what was there.
Newlines and tabs are kept; a CR before a newline (Windows line ends) is dropped. Unicode bidirectional
overrides, which reorder what a line appears to say, are escaped too.
"""

from __future__ import annotations

import json
from typing import Any

_KEEP = {"\n", "\t"}
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]


def _escape(code: int) -> str:
    if code == 0x0D:
        return "\\r"
    if code == 0x08:
        return "\\b"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


_TABLE = {code: _escape(code) for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI]
          if chr(code) not in _KEEP}


def inert(text: str) -> str:
    """`text` with every terminal control character shown as escaped text; newlines and tabs kept."""
    if text.isprintable():  # the common case: nothing to do
        return text
    return text.replace("\r\n", "\n").translate(_TABLE)


# JSON already escapes C0 controls; C1 controls (U+0080-U+009F: U+009B is an 8-bit CSI), DEL, bidirectional
# overrides and line separators it writes as they are (ensure_ascii=False keeps é and 中文 readable).
_JSON_TABLE = {code: f"\\u{code:04x}" for code in [0x7F, *range(0x80, 0xA0), *_BIDI, 0x2028, 0x2029]}


def inert_json(value: Any, **kwargs: Any) -> str:
    """`json.dumps(value, ensure_ascii=False)` with the characters a terminal acts on escaped: the same JSON
    value, safe to print (`--output json`, `sessions export`, eval reports)."""
    return json.dumps(value, ensure_ascii=False, **kwargs).translate(_JSON_TABLE)

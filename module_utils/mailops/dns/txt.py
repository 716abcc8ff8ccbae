"""TXT values: split into <=255-byte character-strings, join, quote and parse presentation format.

The logical value of a TXT record is its character-strings joined with nothing in between
(RFC 7208 §3.3, RFC 6376 §3.6.2.2). Providers differ: DNSPod takes the raw value, RFC 2136 and
zone files need quoted, escaped, split strings.
"""

from __future__ import annotations

MAX_STRING_BYTES = 255


def split_txt(value: str, limit: int = MAX_STRING_BYTES) -> list[bytes]:
    """Split the UTF-8 encoding of ``value`` into chunks of at most ``limit`` bytes.

    A cut never falls inside a multi-byte UTF-8 sequence. (Escapes are added after splitting,
    per chunk, so they cannot be broken either.)
    """
    encoded = value.encode("utf-8")
    if not encoded:
        return [b""]
    chunks: list[bytes] = []
    start = 0
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and end > start and (encoded[end] & 0xC0) == 0x80:
            end -= 1
        chunks.append(encoded[start:end])
        start = end
    return chunks


def join_txt(strings: list[bytes] | list[str] | tuple) -> str:
    """Join character-strings (bytes or str) into the logical value."""
    parts = [s.decode("utf-8", errors="replace") if isinstance(s, bytes) else s for s in strings]
    return "".join(parts)


def _escape_chunk(chunk: bytes) -> str:
    out: list[str] = []
    text = chunk.decode("utf-8")
    for char in text:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\{code:03d}")
        else:
            out.append(char)
    return "".join(out)


def quote_txt(value: str) -> str:
    """Presentation format: ``"chunk1" "chunk2"`` with ``"`` and ``\\`` escaped."""
    return " ".join(f'"{_escape_chunk(chunk)}"' for chunk in split_txt(value))


def parse_txt(text: str) -> str:
    """Logical value of a TXT value as a provider or user may write it.

    Accepts a raw unquoted value (returned as is, outer whitespace trimmed), one quoted string,
    several quoted strings ``"a" "b"`` (joined, escapes decoded), and several strings with the
    outer quotes stripped, ``a" "b``: DNSPod returns a value entered as ``"a" "b"`` that way.
    """
    stripped = text.strip()
    if stripped.startswith('"') and stripped.endswith('"') and len(stripped) >= 2:
        strings = parse_quoted_strings(stripped)
        return stripped if strings is None else "".join(strings)
    unwrapped_strings = parse_quoted_strings(f'"{stripped}"') if '"' in stripped else None
    # one string would mean no quote inside: a raw value, whose backslashes are data
    if unwrapped_strings is not None and len(unwrapped_strings) > 1:
        return "".join(unwrapped_strings)
    return stripped


def parse_quoted_strings(text: str) -> list[str] | None:
    """Parse ``"a" "b\\"c"``; None when the text is not a sequence of quoted strings."""
    strings: list[str] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        if text[position] != '"':
            return None
        position += 1
        raw = bytearray()
        while position < len(text) and text[position] != '"':
            char = text[position]
            if char == "\\" and position + 1 < len(text):
                following = text[position + 1 : position + 4]
                if following.isdigit() and len(following) == 3:
                    raw.append(int(following))
                    position += 4
                    continue
                raw.extend(text[position + 1].encode("utf-8"))
                position += 2
                continue
            raw.extend(char.encode("utf-8"))
            position += 1
        if position >= len(text):
            return None
        position += 1
        strings.append(raw.decode("utf-8", errors="replace"))
    return strings

"""Safe XML in, plain XML out, for the NCPDP SCRIPT door.

Parsing goes through ``defusedxml``: a DTD, an entity declaration or an external reference refuses the
whole message (no entity expansion, no billion laughs, no file or network access), and nothing larger
than :data:`MAX_BYTES` is parsed at all. Namespaces are dropped after parsing, so a message with the
SCRIPT default namespace and one without read the same. Element names are the standard's, exactly.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

#: The largest SCRIPT message accepted (a REMS message is a few kilobytes).
MAX_BYTES = 256 * 1024


class MalformedMessage(ValueError):
    pass


def parse(body: bytes) -> Element:
    if len(body) > MAX_BYTES:
        raise MalformedMessage(f"The message is larger than {MAX_BYTES // 1024} KB.")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeDecodeError) as exc:
        raise MalformedMessage(f"The body is not a well-formed XML message ({type(exc).__name__}).") from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def text(element: Element | None, path: str) -> str:
    """The stripped text at ``path`` below ``element`` ("" when absent)."""
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def first_text(element: Element | None, *paths: str) -> str:
    for path in paths:
        value = text(element, path)
        if value:
            return value
    return ""


def add(parent: Element, tag: str, value: str | None = None, **attributes: str) -> Element:
    child = SubElement(parent, tag, attributes)
    if value is not None:
        child.text = value
    return child


def copy_into(parent: Element, original: Element | None) -> None:
    """Append a deep copy of ``original`` (an element of the request echoed in the answer)."""
    if original is None:
        return
    clone = Element(original.tag, dict(original.attrib))
    clone.text, clone.tail = original.text, None
    for child in original:
        copy_into(clone, child)
    parent.append(clone)


def serialize(root: Element) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode")).encode()

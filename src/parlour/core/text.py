"""HTML to plain text (`display_as=plaintext`), and the caseless words text search compares."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS and tag != "br":
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML fragment, block elements separated by newlines."""
    if "<" not in html and "&" not in html:
        return html
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.chunks).split("\n")]
    return "\n".join(line for line in lines if line)


# Caseless matching for search. Search compares *folded* text: stored bodies and subjects
# are folded once when written (`db.models.Conversation`), query values when compiled, so
# SQLite, PostgreSQL and the Python reference all compare the same strings.

_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")


def fold(text: str) -> str:
    """The caseless form of `text`: NFC of the full case folding of its NFD (Unicode D145).

    So `É`/`é` (composed or not), `ß`/`SS` and the three Greek sigmas each compare equal.
    """
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def _is_word_char(char: str) -> bool:
    # Letters, digits and underscore (Python's \w), plus combining marks, so words of
    # scripts written with vowel signs or accents (Devanagari, decomposed Latin) stay whole.
    return char.isalnum() or char == "_" or unicodedata.category(char)[0] == "M"


def words(text: str) -> list[str]:
    """The words of `text` in order: maximal runs of letters, digits, marks and `_`."""
    if text.isascii():
        return _ASCII_WORD.findall(text)
    found: list[str] = []
    current: list[str] = []
    for char in text:
        if _is_word_char(char):
            current.append(char)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


def is_word(text: str) -> bool:
    """True when `text` is one non-empty word (no separators)."""
    return bool(text) and words(text) == [text]


def indexed_words(html: str) -> str:
    """The folded words of an HTML body, each once, as ` w1 w2 … ` (empty for none).

    The spaces around every word let one substring test answer every per-word question:
    ` w ` is the word, ` w` a word starting with `w`, `w ` one ending with it.
    """
    unique = dict.fromkeys(words(fold(html_to_text(html))))
    return f" {' '.join(unique)} " if unique else ""


def word_pattern(operator: str, value: str) -> str | None:
    """What to look for in an `indexed_words` string so that some word matches, or None.

    `=` a whole word (the value must be one word), `~` part of a word, `^` a word's start,
    `$` its end. A value that is not a single word matches no word: None.
    """
    if operator == "=":
        found = words(fold(value))
        return f" {found[0]} " if len(found) == 1 else None
    needle = fold(value)
    if not is_word(needle):
        return None
    if operator == "~":
        return needle
    if operator == "^":
        return f" {needle}"
    if operator == "$":
        return f"{needle} "
    raise ValueError(operator)

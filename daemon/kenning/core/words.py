"""The words of identifiers: `parse_HTTPHeader2` -> parse, http, header, 2.

One splitting rule for everything that turns names into words: the chunker's headers
(what the model embeds), the chunk table's search fields and the ranking's name match.
"""

from __future__ import annotations

import re

# A word inside an identifier: `HTTPAdapter` -> HTTP, Adapter; `get_url2` -> get, url, 2.
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def identifier_words(text: str) -> list[str]:
    """The lower-case words of the identifiers in `text`, split at underscores, digits and
    case changes, in order: `parse_HTTPHeader2` -> parse, http, header, 2."""
    return [word.lower() for word in _WORD.findall(text)]


def hidden_words(name: str) -> str:
    """The words of `name`, space-separated, when a word-piece tokenizer would not find
    them on its own, else "". Such a tokenizer splits at underscores, so `get_user_name`
    reaches a model as its words already; it does not split at case changes or between
    letters and digits, so `AppContext` reaches it as pieces like `app`, `##con`,
    `##text`, and `sha256` as `sha`, `##25`, `##6`."""
    words = identifier_words(name)
    # `$` (JavaScript) is punctuation to the tokenizer: it splits there as at `_`.
    if "_".join(words) == name.lower().replace("$", "_").strip("_"):
        return ""
    return " ".join(words)

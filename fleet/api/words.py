"""The core's phrases (``fleet.words.Phrase``) as the fleet API's ``Words``: the
sentence as data, so each client says it in its own language."""

from __future__ import annotations

from fleet.api.messages import Words
from fleet.words import Phrase


def words_view(phrase: Phrase | None) -> Words | None:
    """A phrase as the API's words (None stays None)."""
    return None if phrase is None else _words(phrase)


def _words(phrase: Phrase) -> Words:
    args: dict[str, str | Words] = {}
    for name, value in phrase.args:
        args[name] = _words(value) if isinstance(value, Phrase) else value
    return Words(key=phrase.key, args=args)

"""The dashboard's language: chosen once when the app is built (``build_app``),
read by every view through ``_`` (a catalogue id in, the words out).

A module-level choice rather than an argument threaded through every view
function: the views are plain functions called from many places, the footer's
bindings are made when the app class is, and one process shows one dashboard.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from fleet.api.messages import Words
from fleet.words import Lang, Phrase

if TYPE_CHECKING:
    from textual.dom import DOMNode

_chosen: list[Lang] = ["en"]


def use(lang: Lang) -> None:
    """Show every later screen in ``lang``."""
    _chosen[0] = lang


def current() -> Lang:
    return _chosen[0]


def _(key: str, /, **args: str | Phrase) -> str:
    """The words of ``key`` (their English template) in the chosen language."""
    return Phrase.of(key, **args).render(_chosen[0])


def phrase(words: Words) -> Phrase:
    """The API's words as a phrase of the catalogue."""
    return Phrase(words.key, tuple((k, phrase(v) if isinstance(v, Words) else v)
                                   for k, v in words.args.items()))


def say(words: Words | None, english: str) -> str:
    """The controller's sentence in the chosen language: its words when it sent
    them, else (and in English) the English text it always sends beside them."""
    lang = _chosen[0]
    return english if words is None or lang == "en" else phrase(words).render(lang)


def translate_bindings(node: DOMNode) -> None:
    """Show ``node``'s key bindings (the footer's words) in the chosen language. The
    classes' ``BINDINGS`` are made once, in English, when the class is; each app or
    screen translates its own copy when it is made."""
    for key, found in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            dataclasses.replace(b, description=_(b.description),
                                tooltip=_(b.tooltip) if b.tooltip else b.tooltip)
            for b in found]

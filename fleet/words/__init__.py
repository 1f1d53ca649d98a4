"""The words people read, in their language: a small typed message catalogue.

Every sentence the floor manager reads is written in English in the code, as
the message id itself (``say("to {place} with {dishes}", ...)``), the gettext
way, and looked up in the chosen language's catalogue (``fleet.words.ko``);
English is the fallback for any id a catalogue lacks, so a missing translation
shows English, never a key.

Why not gettext's ``.po``/``.mo`` files: they need a compile step at build and
file reads at import (``gettext.translation``), and the core (``fleet.controller``)
must stay pure, importable with no I/O and no package data. A catalogue that is a
Python ``dict`` is checked by mypy and ruff like any module, ships with the wheel
as code, and a test reads every ``say``/``_`` call in the source (as xgettext
would) to prove each id has a Korean entry with the same placeholders.

The controller never picks a language: it builds ``Phrase`` values (an id and
its arguments, which may be phrases themselves), the fleet API carries them as
data beside the English text, and each client renders them in its own language.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from fleet.words.ko import KO

Lang: TypeAlias = Literal["en", "ko"]
LANGS: tuple[Lang, ...] = ("en", "ko")
CATALOGUES: Mapping[Lang, Mapping[str, str]] = {"en": {}, "ko": KO}
"""English is the ids themselves: its catalogue is empty."""

Arg: TypeAlias = "str | Phrase"


@dataclass(frozen=True, slots=True)
class Phrase:
    """A sentence not yet rendered: its English template (the id) and arguments.

    Arguments are text (names, numbers already formatted) or phrases in turn,
    rendered in the same language ("by {place}" with place "table {name}")."""

    key: str
    args: tuple[tuple[str, Arg], ...] = ()

    @classmethod
    def of(cls, key: str, /, **args: Arg) -> Phrase:
        return cls(key, tuple(args.items()))

    def render(self, lang: Lang = "en") -> str:
        """The sentence in ``lang``; English when the catalogue lacks it or its
        translation does not take the same arguments."""
        values = {k: v.render(lang) if isinstance(v, Phrase) else v for k, v in self.args}
        template = CATALOGUES[lang].get(self.key, self.key)
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return self.key.format(**values)

    def __str__(self) -> str:
        return self.render("en")


def N_(key: str) -> str:  # noqa: N802  (gettext's name for it)
    """Marks a message id where it is written (a table's column, a key's label) and
    returns it as it is; it is translated where it is shown. The catalogue test finds
    ids by these marks and by the calls that translate (``say``, ``_``)."""
    return key


def text(words: str) -> Phrase:
    """Words that are not translated (a robot's own error text, a reason typed by
    someone) as a phrase."""
    return Phrase.of("{text}", text=words)


def placeholders(template: str) -> set[str]:
    """The names a template formats (``{name}``, ``{n:.0f}`` -> ``n``)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def language(value: str | None) -> Lang | None:
    """The catalogue for a language setting ("ko", "ko_KR.UTF-8", "en-GB"), None
    when it names none shipped (or says nothing: "", "C", "POSIX")."""
    if not value:
        return None
    code = value.split(".")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGS else None


def choose_language(flag: str | None = None, config: str | None = None,
                    environ: Mapping[str, str] | None = None) -> Lang:
    """The language to show: ``--lang``, else the config's ``site.language``, else
    the environment as POSIX orders it (``LC_ALL``, ``LC_MESSAGES``, ``LANG``; the
    first one set decides), else English."""
    for chosen in (flag, config):
        lang = language(chosen)
        if lang is not None:
            return lang
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return language(env[name]) or "en"
    return "en"

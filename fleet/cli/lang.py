"""The commands' own lines in the reader's language (``--lang``, else the config's
``site.language``, else the locale: ``fleet.words.choose_language``).

A command makes one ``Speaker`` when it knows the language and says every line
through it (``_ = speaker(args, cfg.site.language)`` then ``_("OK")``), so that the
catalogue test finds the ids as xgettext would. What a command only passes on (a
floor plan's problems, a store's reasons, file names) stays as it was written.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from fleet.words import LANGS, Lang, Phrase, choose_language


@dataclass(frozen=True, slots=True)
class Speaker:
    lang: Lang = "en"

    def __call__(self, key: str, /, **values: str | Phrase) -> str:
        return Phrase.of(key, **values).render(self.lang)


ENGLISH = Speaker()


def add_lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGS, default=None,
                        help="the language of the output: en or ko (default: the config's "
                             "site.language, else LC_ALL / LANG, else English)")


def speaker(args: argparse.Namespace, config_language: str | None = None) -> Speaker:
    return Speaker(choose_language(getattr(args, "lang", None), config_language))

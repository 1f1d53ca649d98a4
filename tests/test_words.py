"""The message catalogue (``fleet.words``): every id the code shows has a Korean
entry taking the same placeholders, a phrase renders in either language with
English for what is missing, and the language is chosen flag > config > locale."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from catalogue_ids import ROOT, catalogue_ids

from fleet.cli.main import build_parser
from fleet.words import CATALOGUES, Phrase, choose_language, language, placeholders
from fleet.words.ko import KO


def test_every_id_the_code_shows_has_a_korean_entry() -> None:
    ids = catalogue_ids()
    assert len(ids) > 200
    missing = sorted(ids - KO.keys())
    assert missing == [], f"no Korean for: {missing}"


def test_no_korean_entry_is_left_over() -> None:
    assert sorted(KO.keys() - catalogue_ids()) == []


@pytest.mark.parametrize("key", sorted(KO))
def test_placeholders_match_between_languages(key: str) -> None:
    assert placeholders(KO[key]) == placeholders(key)
    assert KO[key].strip(), key


def test_a_phrase_renders_nested_in_either_language() -> None:
    where = Phrase.of("by {place}", place=Phrase.of("table {name}", name="창가1"))
    phrase = Phrase.of("waiting for {robot} to clear the aisle {where}", robot="R4",
                       where=where)
    assert str(phrase) == "waiting for R4 to clear the aisle by table 창가1"
    assert phrase.render("ko") == "테이블 창가1 옆 통로에서 R4 통과 대기 중"


def test_english_is_the_fallback_for_a_missing_or_broken_entry(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Phrase.of("a sentence nobody translated {n}", n="2").render("ko") == \
        "a sentence nobody translated 2"
    monkeypatch.setitem(KO, "serving {place}", "{other} 서빙 중")
    assert Phrase.of("serving {place}", place="가1").render("ko") == "serving 가1"
    assert CATALOGUES["en"] == {}


@pytest.mark.parametrize(("flag", "config", "env", "chosen"), [
    ("ko", "en", {"LANG": "en_US.UTF-8"}, "ko"),       # the flag first
    (None, "ko", {"LANG": "en_US.UTF-8"}, "ko"),       # then the config
    (None, "en", {"LANG": "ko_KR.UTF-8"}, "en"),       # the config over the locale
    (None, "", {"LANG": "ko_KR.UTF-8"}, "ko"),         # then the locale
    (None, None, {"LC_ALL": "ko_KR.UTF-8", "LANG": "en_GB.UTF-8"}, "ko"),  # LC_ALL over LANG
    (None, None, {"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"),  # C says English
    (None, None, {"LC_MESSAGES": "ko_KR", "LANG": "en_GB"}, "ko"),
    (None, None, {"LANG": "fr_FR.UTF-8"}, "en"),       # not shipped: English
    (None, None, {}, "en"),
])
def test_the_language_is_chosen_flag_then_config_then_locale(
        flag: str | None, config: str | None, env: dict[str, str], chosen: str) -> None:
    assert choose_language(flag, config, env) == chosen


def test_language_settings_are_read_loosely() -> None:
    assert [language(v) for v in ("ko", "ko_KR.UTF-8", "ko-KR", "KO", "en_GB", "", "C")] == \
        ["ko", "ko", "ko", "ko", "en", None, None]


def test_demo_and_dashboard_take_lang_and_the_config_takes_site_language(tmp_path: Path) -> None:
    from fleet.config import load_config  # noqa: PLC0415
    from fleet.errors import ConfigError  # noqa: PLC0415

    parser = build_parser()
    demo = parser.parse_args(["demo", "--lang", "ko", "--map", "maps/bulgogi-house.toml"])
    assert isinstance(demo, argparse.Namespace) and demo.lang == "ko"
    assert parser.parse_args(["dashboard", "--lang", "ko"]).lang == "ko"
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--lang", "fr"])
    cfg = tmp_path / "config.toml"
    site = f'[site]\nmap = "{ROOT / "maps" / "bulgogi-house.toml"}"\n'
    cfg.write_text(site + 'language = "ko"\n', encoding="utf-8")
    assert load_config(cfg).site.language == "ko"
    cfg.write_text(site + 'language = "fr"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="language"):
        load_config(cfg)

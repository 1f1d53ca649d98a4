"""The fleet API's documents agree with the code: the schema files are what the
message types generate, and every JSON example in docs/fleet-api.md decodes
strictly and validates against its schema file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import msgspec
import pytest

from fleet.api.messages import STATE_TYPES, normalise_schema
from fleet.api.schemas import rendered, stale, write
from fleet.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
API_DIR = ROOT / "docs" / "api"
DOC = ROOT / "docs" / "fleet-api.md"
_EXAMPLE = re.compile(r"<!-- example: (\w+) -->\s*```json\n(.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    return _EXAMPLE.findall(DOC.read_text(encoding="utf-8"))


def test_schema_files_are_what_the_code_generates() -> None:
    assert stale(API_DIR) == [], "run: fleet api schemas"
    assert sorted(p.name for p in API_DIR.glob("*.schema.json")) == sorted(rendered())


def test_schemas_do_not_depend_on_the_msgspec_release() -> None:
    """msgspec before 0.23 kept docstrings' indentation and put ``null`` first in
    ``anyOf``; 0.23 dedents and puts it last. Both must write the same file."""
    ref, null = {"$ref": "#/$defs/TripView"}, {"type": "null"}
    old = {"description": "First line\n    second line.",
           "properties": {"trip": {"anyOf": [null, ref]}}}
    new = {"description": "First line\nsecond line.",
           "properties": {"trip": {"anyOf": [ref, null]}}}
    assert normalise_schema(old) == normalise_schema(new) == normalise_schema(normalise_schema(new))


def test_schemas_command_writes_and_checks(tmp_path: Path) -> None:
    out = tmp_path / "api"
    assert main(["api", "schemas", "--check", "--out", str(out)]) == 1
    assert main(["api", "schemas", "--out", str(out)]) == 0
    assert main(["api", "schemas", "--check", "--out", str(out)]) == 0
    (out / "robot.schema.json").write_text("{}", encoding="utf-8")
    (out / "gone.schema.json").write_text("{}", encoding="utf-8")
    assert stale(out) == ["robot.schema.json", "gone.schema.json"]
    assert [p.name for p in write(out)] == ["robot.schema.json"]
    assert stale(out) == []


def test_every_message_has_an_example() -> None:
    assert {name for name, _ in examples()} == set(STATE_TYPES)


@pytest.mark.parametrize(("name", "text"), examples(),
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(examples())])
def test_doc_example_decodes_and_validates(name: str, text: str) -> None:
    msgspec.json.decode(text.encode(), type=STATE_TYPES[name], strict=True)
    schema = json.loads((API_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(text), schema)


@pytest.mark.parametrize("bad", [
    {"request_id": "x", "command": {"type": "submitOrder", "order_id": "a/b", "table": "A1",
                                    "dishes": [{"name": "x"}]}},
    {"request_id": "x", "command": {"type": "markReady", "order_id": "o", "dishes": [0]}},
    {"request_id": "x", "command": {"type": "pauseRobot"}},
    {"request_id": "x", "command": {"type": "stopAll", "colour": "red"}},
])
def test_schema_and_decoder_refuse_alike(bad: dict[str, object]) -> None:
    """Validated both ways: what the schema refuses the decoder refuses too."""
    schema = json.loads((API_DIR / "request.schema.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(json.dumps(bad).encode(), type=STATE_TYPES["request"])

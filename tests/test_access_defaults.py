"""Defaults that keep strangers out, checked before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from accesskit import site_config

from drivers.mqtt.broker import BrokerAuth, EmbeddedBroker
from fleet.cli.main import main
from fleet.config import load_config
from fleet.errors import ConfigError


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_an_anonymous_broker_beyond_loopback_is_refused_with_the_way_out(host: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EmbeddedBroker(host=host)
    text = str(caught.value)
    assert "\n" not in text
    assert f"refusing anonymous access on {host}" in text
    assert "fleet users add NAME --role ROLE" in text


def test_rumqttd_cannot_serve_fleet_run(tmp_path: Path) -> None:
    auth = BrokerAuth(tmp_path / "passwd", tmp_path / "acl")
    with pytest.raises(ConfigError, match="needs mosquitto to check passwords and the ACL"):
        EmbeddedBroker(kind="iotcore", auth=auth)


def test_the_listen_port_is_checked(tmp_path: Path) -> None:
    site_config(tmp_path)
    with pytest.raises(ConfigError, match=r"broker.listen_port: must be 0 .* got 70000"):
        load_config(tmp_path / "config.toml", env={"FLEET_BROKER__LISTEN_PORT": "70000"})


def test_fleet_run_with_a_bad_state_folder_says_where_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = site_config(tmp_path)
    cfg.state_path.write_text("a file where the folder should be", encoding="utf-8")
    assert main(["run", "--config", str(tmp_path / "config.toml")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"fleet run: {cfg.state_path}: the state folder (store.state_dir) is not a "
                   "folder")
    assert not (tmp_path / "fleet.db").exists()  # nothing started, nothing written


def test_a_broker_beyond_loopback_without_tls_is_refused(tmp_path: Path) -> None:
    auth = BrokerAuth(tmp_path / "passwd", tmp_path / "acl")
    with pytest.raises(ConfigError, match=r"refusing to listen on 0\.0\.0\.0 \(beyond loopback\) "
                                          r"without TLS.*set broker\.listen_cert_file"):
        EmbeddedBroker(host="0.0.0.0", auth=auth)


def test_fleet_run_beyond_loopback_without_tls_says_how_before_writing_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = site_config(tmp_path)
    monkeypatch.setenv("FLEET_BROKER__LISTEN_HOST", "0.0.0.0")
    assert main(["run", "--config", str(tmp_path / "config.toml")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "without TLS" in err and "broker.listen_key_file" in err
    assert not (tmp_path / "fleet.db").exists()
    assert not cfg.state_path.exists()


def test_the_listeners_certificate_and_key_go_together_and_must_exist(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    site_config(tmp_path)
    config = tmp_path / "config.toml"
    with pytest.raises(ConfigError, match="listen_cert_file and listen_key_file go together"):
        load_config(config, env={"FLEET_BROKER__LISTEN_CERT_FILE": "server.crt"})
    monkeypatch.setenv("FLEET_BROKER__LISTEN_CERT_FILE", "server.crt")
    monkeypatch.setenv("FLEET_BROKER__LISTEN_KEY_FILE", "server.key")
    assert main(["run", "--config", str(config)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"fleet run: broker.listen_cert_file: no such file: {tmp_path / 'server.crt'}")

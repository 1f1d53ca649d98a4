"""The site's users in its state folder, and ``fleet users`` over them."""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import stat
from pathlib import Path

import pytest
from accesskit import site_config

from fleet.access.passwords import hash_password, verify_password
from fleet.access.userbook import DASHBOARD_USER, UserBook, robot_user
from fleet.cli.dashboard_cmd import settings_for
from fleet.cli.main import main
from fleet.config import load_config
from fleet.errors import AccessError


def test_fleet_runs_own_users_are_made_once_with_passwords_only_its_owner_reads(
        tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    book = UserBook.open(cfg)
    made = book.provision_local(cfg)
    book.save(cfg)
    assert made == ["fleet-controller", "fleet-controller-api", DASHBOARD_USER,
                    robot_user("R1"), robot_user("R2")]
    again = UserBook.open(cfg)
    assert again.provision_local(cfg) == []
    for name in made:
        password = again.local_password(name)
        user = again.find(name)
        assert password is not None and user is not None
        assert verify_password(password, user.hash)
        assert stat.S_IMODE(again.local_path(name).stat().st_mode) == 0o600
    for path in (again.users_path, again.passwd_path, again.acl_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(again.folder.stat().st_mode) == 0o700
    lines = again.passwd_path.read_text(encoding="utf-8").splitlines()
    assert sorted(line.split(":")[0] for line in lines) == sorted(made)


def test_a_lost_local_password_is_made_again_and_a_removed_robot_loses_its_user(
        tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    book = UserBook.open(cfg)
    book.provision_local(cfg)
    book.save(cfg)
    book.local_path(robot_user("R1")).unlink()
    book.add(robot_user("R9"), "robot", "x", robot="R9", local=True)
    assert book.provision_local(cfg) == [robot_user("R1")]
    assert book.find(robot_user("R9")) is None


def test_a_hand_made_user_under_a_name_fleet_needs_is_named_in_the_error(
        tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    book = UserBook.open(cfg)
    book.add("fleet-controller", "controller", "pw")
    with pytest.raises(AccessError, match=r"user fleet-controller in .*users.json was added "
                                          "by hand"):
        book.provision_local(cfg)


def test_bad_input_is_one_error_naming_what(tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    book = UserBook.open(cfg)
    book.add("till-1", "pos", "pw")
    with pytest.raises(AccessError, match="unknown role 'chef'; roles: controller, robot"):
        book.add("chef-1", "chef", "pw")
    with pytest.raises(AccessError, match=r"user till-1 exists already in .*users.json"):
        book.add("till-1", "pos", "pw")
    with pytest.raises(AccessError, match=r"user name 'till/2': use 1-64 characters"):
        book.add("till/2", "pos", "pw")
    with pytest.raises(AccessError, match="user till-3: the password is empty"):
        book.add("till-3", "pos", "")
    with pytest.raises(AccessError, match=r"no user till-9 in .*users.json"):
        book.remove("till-9")


def test_an_unreadable_state_folder_is_named(tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    cfg.state_path.write_text("not a folder", encoding="utf-8")
    with pytest.raises(AccessError, match=r"fleet-state: the state folder \(store.state_dir\) "
                                          "is not a folder"):
        UserBook.open(cfg)
    cfg.state_path.unlink()
    (cfg.state_path / "broker" / "users.json").mkdir(parents=True)
    with pytest.raises(AccessError, match=r"users.json: cannot read the broker's users: "
                                          r"Is a directory \(store.state_dir\)"):
        UserBook.open(cfg)


def test_a_damaged_users_file_is_named(tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    path = cfg.state_path / "broker" / "users.json"
    path.parent.mkdir(parents=True)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(AccessError, match=r"users\.json: not a users file"):
        UserBook.open(cfg)
    path.write_text(json.dumps({"users": [{"name": "a", "role": "pos", "hash": "plain"}]}),
                    encoding="utf-8")
    with pytest.raises(AccessError, match="user a: the password hash is not"):
        UserBook.open(cfg)
    user = {"name": "a", "role": "pos", "hash": hash_password("x")}
    path.write_text(json.dumps({"users": [user, user]}), encoding="utf-8")
    with pytest.raises(AccessError, match="users listed twice: a"):
        UserBook.open(cfg)


# -- fleet users --------------------------------------------------------------------


def test_fleet_users_add_list_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = site_config(tmp_path)
    config = str(tmp_path / "config.toml")
    secret = tmp_path / "till.secret"
    secret.write_text("till-password\n", encoding="utf-8")
    assert main(["users", "--config", config, "add", "till-1", "--role", "pos",
                 "--password-file", str(secret)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("tablet-password\n"))
    assert main(["users", "--config", config, "add", "tablet", "--role", "dashboard",
                 "--stdin"]) == 0
    assert main(["users", "--config", config, "add", "R1", "--role", "robot"]) == 0
    out = capsys.readouterr().out
    generated = out.split("password (shown once): ")[1].split()[0]
    book = UserBook.open(cfg)
    hashes = {u.name: u.hash for u in book.users}
    assert verify_password("till-password", hashes["till-1"])
    assert verify_password("tablet-password", hashes["tablet"])
    assert verify_password(generated, hashes["R1"])
    assert "user R1\ntopic write uagv/v2/acme/R1/state" in book.acl_path.read_text("utf-8")
    assert main(["users", "--config", config, "list"]) == 0
    listed = capsys.readouterr().out
    assert "till-1" in listed and "dashboard" in listed and "R1" in listed
    assert main(["users", "--config", config, "remove", "till-1"]) == 0
    assert UserBook.open(cfg).find("till-1") is None
    assert "till-1" not in book.passwd_path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "error"), [
    (["add", "x", "--role", "chef"], "unknown role 'chef'"),
    (["add", "R7", "--role", "robot"], "no robot 'R7' in .*config.toml .robots: R1, R2, S1."),
    (["add", "x", "--role", "pos", "--robot", "R1"], "--robot goes with --role robot"),
    (["add", "x", "--role", "pos", "--password-file", "missing"], "missing: cannot read the "
                                                                  "password"),
    (["remove", "nobody"], "no user nobody in"),
])
def test_fleet_users_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           args: list[str], error: str) -> None:
    site_config(tmp_path)
    assert main(["users", "--config", str(tmp_path / "config.toml"), *args]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert re.search(error, err), err


def test_fleet_users_add_twice_is_refused(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    site_config(tmp_path)
    config = str(tmp_path / "config.toml")
    assert main(["users", "--config", config, "add", "boss", "--role", "manager"]) == 0
    assert main(["users", "--config", config, "add", "boss", "--role", "manager"]) == 1
    assert "user boss exists already" in capsys.readouterr().err


def test_fleet_users_without_a_config_says_so(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "--config", str(tmp_path / "none.toml"), "list"]) == 1
    assert "none.toml: no such config file" in capsys.readouterr().err


def test_whoever_edits_the_users_holds_the_folders_lock(tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    with UserBook.editing(cfg) as book:
        fd = os.open(book.folder / ".lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    fd = os.open(book.folder / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released at the end of the block
    finally:
        os.close(fd)


# -- fleet dashboard's credentials ----------------------------------------------------


def test_a_dashboard_beside_fleet_run_logs_in_as_the_local_dashboard(tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    assert settings_for(cfg, "mqtt://127.0.0.1:1883").username is None  # no users yet
    with UserBook.editing(cfg) as book:
        book.provision_local(cfg)
        book.save(cfg)
    got = settings_for(cfg, "mqtt://127.0.0.1:1883")
    assert (got.username, got.client_id) == (DASHBOARD_USER, DASHBOARD_USER)
    assert got.password == UserBook.open(cfg).local_password(DASHBOARD_USER)


def test_a_dashboard_with_a_user_of_its_own_keeps_it_and_names_its_topics_by_it(
        tmp_path: Path) -> None:
    site_config(tmp_path)
    secret = tmp_path / "tablet.secret"
    secret.write_text("tablet-password\n", encoding="utf-8")
    cfg = load_config(tmp_path / "config.toml", env={
        "FLEET_BROKER__USERNAME": "tablet-1", "FLEET_BROKER__PASSWORD_FILE": str(secret)})
    with UserBook.editing(cfg) as book:
        book.provision_local(cfg)
        book.save(cfg)
    got = settings_for(cfg, "mqtt://10.0.0.2:1883")
    assert (got.username, got.password, got.client_id) == ("tablet-1", "tablet-password",
                                                          "tablet-1")

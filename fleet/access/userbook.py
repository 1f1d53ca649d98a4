"""The site's broker users, kept in its state folder, and the files the broker reads.

``{store.state_dir}/broker/`` holds:

- ``users.json``: each user's name, role, robot serial and password hash; the one
  source the other files are made from (a hash is never shown again, so it is kept
  here, not only in the broker's file).
- ``passwd``: Mosquitto's password file, ``name:$7$...`` per user.
- ``acl``: the ACL generated from the site config and the users (``fleet.access.acl``).
- ``local/{name}``: the passwords of fleet's own clients (the controller's two
  connections, the local dashboard, each configured robot for the simulated
  vehicles), made on the first ``fleet run`` so that nothing extra has to be typed
  on the controller's machine. Readable by its owner only, like the folder.

Every file is replaced whole (written beside, then renamed), so a broker starting
while ``fleet users`` writes reads the old file or the new one, never half of one.
Whoever changes the users holds ``editing`` (a lock on ``.lock`` there), so a
``fleet users add`` while ``fleet run`` starts and makes its own loses neither.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from fleet.access.acl import Grantee, render_acl
from fleet.access.passwords import hash_password, is_hash, new_password
from fleet.access.roles import Role, check_name, check_role
from fleet.config import Config
from fleet.domain.identity import SEPARATOR
from fleet.errors import AccessError

DASHBOARD_USER = "fleet-dashboard"
"""The local dashboard's user (``fleet dashboard`` on the controller's machine)."""


class BrokerUser(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: str
    role: str
    hash: str
    robot: str | None = None
    """A robot user's robot serial."""
    local: bool = False
    """Made by ``fleet run`` for its own clients; its password is in ``local/``."""


class _UsersFile(msgspec.Struct, forbid_unknown_fields=True):
    users: list[BrokerUser]


@dataclass(frozen=True, slots=True)
class LocalUser:
    """A user ``fleet run`` makes for a client of its own."""

    name: str
    role: Role
    robot: str | None
    why: str


def robot_user(robot_id: str) -> str:
    """The broker user of a simulated robot: ``robot-{serial}``, or for a serial two
    manufacturers share (``sim1@acme``) ``robot-sim1-at-acme`` (no '@' in user names)."""
    return f"robot-{robot_id.replace(SEPARATOR, '-at-')}"


def local_users(cfg: Config) -> list[LocalUser]:
    """The users fleet's own clients need on this site's embedded broker. A robot whose
    serial cannot be part of a user name (a ':' is legal in a VDA 5050 serial) gets
    none: it needs one added by hand."""
    client = cfg.broker.client_id
    out = [LocalUser(check_name(client, "broker.client_id"), "controller", None,
                     "the controller's robot link"),
           LocalUser(check_name(f"{client}-api", "broker.client_id + '-api'"), "controller",
                     None, "the controller's fleet API"),
           LocalUser(DASHBOARD_USER, "dashboard", None, "a dashboard on this machine")]
    for robot, who in zip(cfg.robots, cfg.identities(), strict=True):
        name = robot_user(who.robot_id)
        if robot.transport != "serial" and _fits(name):
            out.append(LocalUser(name, "robot", who.robot_id, f"robot {who.robot_id}"))
    return out


def _fits(name: str) -> bool:
    try:
        check_name(name)
    except AccessError:
        return False
    return True


def _check_state_folder(folder: Path) -> None:
    if folder.parent.exists() and not folder.parent.is_dir():
        raise AccessError(f"{folder.parent}: the state folder (store.state_dir) is not a "
                          "folder")


def _write(path: Path, text: str) -> None:
    """Replace ``path`` whole, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class UserBook:
    """The users of one site's broker; ``open`` reads them, ``save`` writes every file."""

    def __init__(self, folder: Path, users: list[BrokerUser]) -> None:
        self.folder = folder
        self.users = users

    @property
    def users_path(self) -> Path:
        return self.folder / "users.json"

    @property
    def passwd_path(self) -> Path:
        return self.folder / "passwd"

    @property
    def acl_path(self) -> Path:
        return self.folder / "acl"

    def local_path(self, name: str) -> Path:
        return self.folder / "local" / name

    @classmethod
    def open(cls, cfg: Config) -> UserBook:
        """The users in the config's state folder; none when the folder is new."""
        folder = cfg.state_path / "broker"
        path = folder / "users.json"
        _check_state_folder(folder)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls(folder, [])
        except OSError as exc:
            raise AccessError(f"{path}: cannot read the broker's users: {exc.strerror} "
                              "(store.state_dir)") from exc
        try:
            users = msgspec.json.decode(data, type=_UsersFile).users
        except msgspec.DecodeError as exc:
            raise AccessError(f"{path}: not a users file: {exc}") from exc
        names = [u.name for u in users]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise AccessError(f"{path}: users listed twice: {', '.join(twice)}")
        for user in users:
            check_name(user.name, f"{path}: user name")
            check_role(user.role)
            if not is_hash(user.hash):
                raise AccessError(f"{path}: user {user.name}: the password hash is not "
                                  "Mosquitto's $7$ form")
        return cls(folder, users)

    @classmethod
    @contextlib.contextmanager
    def editing(cls, cfg: Config) -> Iterator[UserBook]:
        """The users, read and held under the folder's lock until the block ends (save
        inside it)."""
        folder = cfg.state_path / "broker"
        _check_state_folder(folder)
        cls(folder, [])._ensure_folder()
        try:
            fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AccessError(f"{folder / '.lock'}: cannot open: {exc.strerror} "
                              "(store.state_dir)") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield cls.open(cfg)
        finally:
            os.close(fd)  # closing releases the lock

    def find(self, name: str) -> BrokerUser | None:
        return next((u for u in self.users if u.name == name), None)

    def add(self, name: str, role: str, password: str, *, robot: str | None = None,
            local: bool = False) -> BrokerUser:
        """A new user; ``AccessError`` for a bad name or role, an empty password, or a
        name taken."""
        check_name(name)
        role = check_role(role)
        if not password:
            raise AccessError(f"user {name}: the password is empty")
        if self.find(name) is not None:
            raise AccessError(f"user {name} exists already in {self.users_path} (fleet users "
                              "remove it first to change it)")
        if (robot is not None) != (role == "robot"):
            raise AccessError(f"user {name}: a robot serial goes with role robot, and only "
                              "with it")
        user = BrokerUser(name=name, role=role, hash=hash_password(password), robot=robot,
                          local=local)
        self.users.append(user)
        return user

    def remove(self, name: str) -> BrokerUser:
        user = self.find(name)
        if user is None:
            raise AccessError(f"no user {name} in {self.users_path}")
        self.users.remove(user)
        return user

    def local_password(self, name: str) -> str | None:
        """The password of one of fleet's own clients, if this machine holds it."""
        user = self.find(name)
        if user is None or not user.local:
            return None
        try:
            return self.local_path(name).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AccessError(f"{self.local_path(name)}: cannot read: {exc.strerror}") from exc

    def provision_local(self, cfg: Config) -> list[str]:
        """Make the users fleet's own clients need, with fresh passwords where missing,
        and drop local users the config no longer has (a robot taken out). Returns the
        names made. A user added by hand under a name fleet needs is an error, since
        its password is not here to use."""
        wanted = {u.name: u for u in local_users(cfg)}
        made: list[str] = []
        for user in list(self.users):
            if user.local and user.name not in wanted:
                self.users.remove(user)
        for name, want in wanted.items():
            have = self.find(name)
            if have is not None and not have.local:
                raise AccessError(f"user {name} in {self.users_path} was added by hand, but "
                                  f"fleet run makes it for {want.why}; remove it "
                                  f"(fleet users remove {name}) or rename the robot/client")
            if (have is not None and have.role == want.role and have.robot == want.robot
                    and self.local_password(name) is not None):
                continue
            if have is not None:
                self.users.remove(have)
            password = new_password()
            self.add(name, want.role, password, robot=want.robot, local=True)
            self._ensure_folder()
            try:
                (self.folder / "local").mkdir(mode=0o700, exist_ok=True)
                _write(self.local_path(name), password + "\n")
            except OSError as exc:
                raise AccessError(f"{self.local_path(name)}: cannot write: "
                                  f"{exc.strerror}") from exc
            made.append(name)
        return made

    def grantees(self) -> list[Grantee]:
        return [Grantee(u.name, check_role(u.role), u.robot) for u in self.users]

    def acl_text(self, cfg: Config) -> str:
        vehicles = {who.robot_id: (who.manufacturer, who.serial) for who in cfg.identities()}
        return render_acl(self.grantees(), site=cfg.site.id, interface=cfg.broker.interface,
                          vehicles=vehicles, source=str(self.users_path))

    def save(self, cfg: Config) -> None:
        """Write users.json, the password file and the ACL."""
        self._ensure_folder()
        try:
            _write(self.users_path, msgspec.json.format(
                msgspec.json.encode(_UsersFile(sorted(self.users, key=lambda u: u.name))),
                indent=2).decode() + "\n")
            _write(self.passwd_path, "".join(f"{u.name}:{u.hash}\n" for u in
                                             sorted(self.users, key=lambda u: u.name)))
            _write(self.acl_path, self.acl_text(cfg))
        except OSError as exc:
            raise AccessError(f"{self.folder}: cannot write the broker's users: "
                              f"{exc.strerror} (store.state_dir)") from exc
        self._drop_stale_secrets()

    def _drop_stale_secrets(self) -> None:
        local = self.folder / "local"
        if not local.is_dir():
            return
        keep = {u.name for u in self.users if u.local}
        for path in local.iterdir():
            if path.name not in keep and not path.name.startswith("."):
                with contextlib.suppress(OSError):
                    path.unlink()

    def _ensure_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise AccessError(f"{self.folder}: cannot make the state folder "
                              f"(store.state_dir): {exc.strerror}") from exc

"""The site configuration: one typed, strictly validated model, loaded once at the
entry point and passed in.

Precedence: defaults < ``config.toml`` < ``FLEET_SECTION__KEY`` environment
variables (double underscore between section and key, e.g.
``FLEET_BROKER__URL=mqtt://broker:1883``, ``FLEET_SITE__ID=mall-2``). Values in
the environment are read as TOML values when they parse as one (numbers,
booleans, quoted strings) and as plain strings otherwise. Secrets never live in
the file: a broker password comes from ``password_env`` or ``password_file``.

Long because the schema and the checks across its keys (``_check``) must change
together: a key added without its check is the mistake this module exists to
prevent.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import msgspec

from fleet.domain import ActionProfile, RobotModel
from fleet.domain.actionprofile import ROLES
from fleet.domain.identity import RobotIdentity, robot_ids
from fleet.domain.robots import DEFAULT_DEVIATION_THETA, DEFAULT_MAP_ID, PROTOCOL_VERSIONS
from fleet.errors import ConfigError
from fleet.shifts import FORMAT, Shift, parse_shift

ENV_PREFIX = "FLEET_"
_ACTION_TYPE = re.compile(r"[A-Za-z0-9_.:-]+")


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class SiteConfig(_Strict, frozen=True):
    id: str = "bistro"
    """Topic prefix segment for the fleet API: ``fleet/v1/{id}/...``."""
    name: str = "Bistro"
    map: str = "maps/bistro.toml"
    """Floor plan, relative to the config file."""
    language: Literal["", "en", "ko"] = ""
    """The dashboard's language ("ko": Korean); "" follows ``LC_ALL`` / ``LANG``.
    ``--lang`` on ``fleet dashboard`` and ``fleet demo`` overrides it."""


class BatteryConfig(_Strict, frozen=True):
    capacity_wh: float = 500.0
    drive_w: float = 90.0
    idle_w: float = 15.0
    charge_w: float = 250.0
    low_percent: float = 25.0
    """Below this the robot goes to charge before taking new trips."""
    full_percent: float = 95.0


_ACTIONS = ActionProfile()


class ActionProfileConfig(_Strict, frozen=True):
    """Which VDA 5050 ``actionType`` expresses each piece of work at a stop on this
    model's vehicles: the standard action, a vendor's own name for it, or "" for none
    (the robot then waits at the stop: until its trays report the change, or
    ``dwell_s`` when it cannot sense them). Checked against the vehicle's factsheet:
    at run time from the one it publishes, by ``fleet config check`` from ``factsheet``."""

    # The defaults are the domain's (``ActionProfile``), where each role is explained.
    pick: str = _ACTIONS.pick
    drop: str = _ACTIONS.drop
    serve_wait: str = _ACTIONS.serve_wait
    dock: str = _ACTIONS.dock
    charge: str = _ACTIONS.charge
    dwell_s: float = _ACTIONS.dwell_s
    parameters: dict[str, dict[str, str | float | bool]] = {}
    """Per role (``pick`` ...), parameters sent with its action beside fleet's own."""
    parameter_names: dict[str, dict[str, str]] = {}
    """Per role, fleet's parameter name -> the name the vendor's action reads."""


class RobotModelConfig(_Strict, frozen=True):
    name: str
    manufacturer: str = "fleet-sim"
    radius: float = 0.25
    speed: float = 1.0
    """Top speed in m/s (serving robots drive 0.5-1.2 m/s among guests)."""
    acceleration: float = 0.5
    turn_time: float = 1.0
    """Seconds for a 90-degree turn on the spot."""
    trays: int = 3
    battery: BatteryConfig = BatteryConfig()
    protocol_version: str = "2.1.0"
    """VDA 5050 version its vehicles speak, "2.0.0" or "2.1.0": a strict vehicle refuses
    a header of another, and 2.0 vehicles read instant actions under another key."""
    map_id: str = DEFAULT_MAP_ID
    """The VDA 5050 mapId of the site's floor plan on these vehicles."""
    allowed_deviation_xy: float | None = None
    """m a vehicle may stop away from a node and count it reached; unset: half a cell."""
    allowed_deviation_theta: float = DEFAULT_DEVIATION_THETA
    """rad, the same for its heading."""
    actions: ActionProfileConfig = ActionProfileConfig()
    """How its vehicles are asked to load, present, wait for the guest and charge."""
    factsheet: str | None = None
    """A VDA 5050 factsheet (JSON) of these vehicles, relative to the config file: the
    vendor's, or one saved from the broker. ``fleet config check`` checks ``actions``
    against its ``protocolFeatures.agvActions``, and ``fleet run`` goes by it until
    a vehicle publishes its own."""
    sim_strict: bool = False
    """Simulated vehicles of this model (transport = "sim", ``fleet sim-robots``) are
    strict: they refuse a header of another version than protocol_version, read
    instant actions only under that version's key, and nodes without
    allowedDeviationXY, as some third-party vehicles do."""
    sim_minimal: bool = False
    """Simulated vehicles of this model behave as a minimal third-party vehicle
    (``sim.acceptance``): they refuse nodes without nodePosition, allowedDeviationXY
    or allowedDeviationTheta, or on another map than map_id, and read no parameter
    of fleet's own; any transport."""


class RobotConfig(_Strict, frozen=True):
    serial: str
    """The VDA 5050 serialNumber."""
    model: str
    manufacturer: str | None = None
    """The VDA 5050 manufacturer; unset: its model's. (manufacturer, serial) is the
    robot's identity: unique on the site (``fleet.domain.identity``)."""
    transport: Literal["sim", "mqtt", "serial"] = "sim"
    port: str | None = None
    """pyserial URL for transport = "serial" (``/dev/ttyUSB0``, ``socket://host:port``)."""
    dock: str | None = None
    """Charger this robot returns to; any free charger when unset."""
    baudrate: int = 115200
    """Line settings for transport = "serial" (ignored otherwise); the default is 8N1."""
    parity: Literal["N", "E", "O", "M", "S"] = "N"
    bytesize: Literal[5, 6, 7, 8] = 8
    stopbits: float = 1
    """1, 1.5 or 2."""
    open_timeout_s: float = 2.0
    """Opening the device or connecting to ``socket://``; longer counts as a failed try."""
    write_timeout_s: float = 1.0
    """How long one write may block (only URLs without a file descriptor: rfc2217, loop)."""


class BrokerConfig(_Strict, frozen=True):
    url: str = "embedded"
    """``embedded`` starts a broker in-process; else ``mqtt://host:port`` or ``mqtts://``."""
    interface: str = "uagv"
    client_id: str = "fleet-controller"
    keepalive: int = 30
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    listen_host: str = "127.0.0.1"
    """Where the embedded broker listens. Beyond loopback (``0.0.0.0``, a LAN address) is
    for robots and tills on other machines; it is always password-protected there."""
    listen_port: int = 0
    """The embedded broker's port; 0 picks a free one at each start (printed by ``fleet run``)."""
    listen_cert_file: str | None = None
    """PEM certificate the embedded broker presents (then mqtts://); needed beyond loopback.
    Its names must include the address clients connect to (``listen_host``)."""
    listen_key_file: str | None = None
    """The certificate's private key (PEM, unencrypted)."""


class StoreConfig(_Strict, frozen=True):
    path: str = "fleet.db"
    """SQLite file, relative to the config file; ``:memory:`` keeps nothing."""
    state_dir: str = "fleet-state"
    """The site's other files, relative to the config file: the broker's users, password
    file and ACL (``broker/``), and the passwords of fleet's own clients."""


class DispatchConfig(_Strict, frozen=True):
    policy: Literal["fleet", "baseline"] = "fleet"
    cold_food_s: float = 300.0
    guest_timeout_s: float = 90.0
    no_progress_s: float = 60.0
    """A robot with food riding on it that makes no progress this long is reported."""
    stall_abort_s: float = 180.0
    """... and its trip given up after this long (at most ``cold_food_s``): its
    dishes go to another robot or back to the kitchen, and it goes to unload."""


class Config(_Strict, frozen=True):
    site: SiteConfig = SiteConfig()
    robot_models: list[RobotModelConfig] = msgspec.field(
        default_factory=lambda: [RobotModelConfig(name="tray-bot")])
    robots: list[RobotConfig] = []
    broker: BrokerConfig = BrokerConfig()
    store: StoreConfig = StoreConfig()
    dispatch: DispatchConfig = DispatchConfig()
    shifts: dict[str, str] = {}
    """Named parts of the day for ``fleet report --shift NAME``: ``lunch = "11:00-14:30"``
    (``fleet.shifts``)."""
    base_dir: str = "."
    """Directory of the config file; relative paths resolve against it (set by the loader)."""

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else Path(self.base_dir) / path

    @property
    def map_path(self) -> Path:
        return self.resolve(self.site.map)

    @property
    def state_path(self) -> Path:
        return self.resolve(self.store.state_dir)

    def model(self, name: str) -> RobotModelConfig:
        for m in self.robot_models:
            if m.name == name:
                return m
        raise KeyError(name)

    def manufacturer(self, robot: RobotConfig) -> str:
        """The robot's own manufacturer, else its model's."""
        return robot.manufacturer if robot.manufacturer is not None else \
            self.model(robot.model).manufacturer

    def identities(self) -> list[RobotIdentity]:
        """Each robot's (manufacturer, serial) and its key on the site, in config order:
        the serial alone unless robots of two manufacturers share it."""
        return robot_ids((self.manufacturer(r), r.serial) for r in self.robots)

    def robot_id(self, robot: RobotConfig) -> str:
        """The robot's key for the controller, store, API and dashboard."""
        return self.identities()[self.robots.index(robot)].robot_id

    def model_of(self, robot: RobotConfig) -> RobotModel:
        """The robot's model as dispatch and traffic use it, with its own manufacturer."""
        model = self.robot_model(robot.model)
        maker = self.manufacturer(robot)
        return model if maker == model.manufacturer else replace(model, manufacturer=maker)

    def robot_model(self, name: str | None = None) -> RobotModel:
        """The model's figures as dispatch and traffic use them (the first model by default)."""
        m = self.model(name) if name else self.robot_models[0]
        b, a = m.battery, m.actions
        return RobotModel(name=m.name, manufacturer=m.manufacturer, trays=m.trays, speed=m.speed,
                          acceleration=m.acceleration, turn_time=m.turn_time,
                          capacity_wh=b.capacity_wh, drive_w=b.drive_w, idle_w=b.idle_w,
                          charge_w=b.charge_w, low_percent=b.low_percent,
                          full_percent=b.full_percent, protocol_version=m.protocol_version,
                          map_id=m.map_id, allowed_deviation_xy=m.allowed_deviation_xy,
                          allowed_deviation_theta=m.allowed_deviation_theta,
                          actions=ActionProfile(pick=a.pick, drop=a.drop,
                                                serve_wait=a.serve_wait, dock=a.dock,
                                                charge=a.charge, dwell_s=a.dwell_s,
                                                extra=ActionProfile.pairs(a.parameters),
                                                names=ActionProfile.pairs(a.parameter_names)))

    def shift(self, name: str) -> Shift | None:
        """The shift called ``name``, None when the config has none of that name."""
        text = self.shifts.get(name)
        return None if text is None else parse_shift(name, text)

    def broker_password(self) -> str | None:
        """The broker password from the environment or a file, never from config.toml."""
        b = self.broker
        if b.password_env:
            value = os.environ.get(b.password_env)
            if value is None:
                raise ConfigError(f"broker.password_env: environment variable {b.password_env} "
                                  "is not set")
            return value
        if b.password_file:
            try:
                return self.resolve(b.password_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"broker.password_file: cannot read {b.password_file}: "
                                  f"{exc.strerror}") from exc
        return None


def _env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    for name, text in sorted(env.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"environment variable {name}: expected FLEET_SECTION__KEY, "
                              "e.g. FLEET_BROKER__URL")
        section, key = parts
        if section not in Config.__struct_fields__ or section in ("robots", "robot_models"):
            known = ", ".join(f for f in Config.__struct_fields__
                              if f not in ("robots", "robot_models", "base_dir"))
            raise ConfigError(f"environment variable {name}: no section '{section}' that can be "
                              f"overridden (known: {known})")
        target = raw.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(f"environment variable {name}: '{section}' is not a section")
        target[key] = _env_value(text)


def _check(cfg: Config, where: str) -> None:
    def fail(key: str, why: str) -> None:
        raise ConfigError(f"{where}: {key}: {why}")

    names = [m.name for m in cfg.robot_models]
    if not names:
        fail("robot_models", "at least one robot model is needed")
    if len(set(names)) != len(names):
        fail("robot_models", f"model names must be unique, got {names}")
    for i, m in enumerate(cfg.robot_models):
        key = f"robot_models[{i}] ({m.name})"
        if m.radius <= 0:
            fail(f"{key}.radius", f"must be > 0 m, got {m.radius}")
        if m.speed <= 0:
            fail(f"{key}.speed", f"must be > 0 m/s, got {m.speed}")
        if m.acceleration <= 0:
            fail(f"{key}.acceleration", f"must be > 0 m/s², got {m.acceleration}")
        if m.turn_time < 0:
            fail(f"{key}.turn_time", f"must be >= 0 s, got {m.turn_time}")
        if not 1 <= m.trays <= 8:
            fail(f"{key}.trays", f"must be 1..8, got {m.trays}")
        b = m.battery
        if b.capacity_wh <= 0 or b.drive_w < 0 or b.idle_w < 0 or b.charge_w <= 0:
            fail(f"{key}.battery", "capacity and charge power must be > 0, draws >= 0")
        if not 0 <= b.low_percent < b.full_percent <= 100:
            fail(f"{key}.battery", "need 0 <= low_percent < full_percent <= 100")
        if m.protocol_version not in PROTOCOL_VERSIONS:
            fail(f"{key}.protocol_version", f"must be one of {', '.join(PROTOCOL_VERSIONS)}, "
                 f"got '{m.protocol_version}'")
        if not m.map_id or m.map_id != m.map_id.strip():
            fail(f"{key}.map_id", f"must be a non-empty name without surrounding spaces, "
                 f"got '{m.map_id}'")
        if m.allowed_deviation_xy is not None and not 0 < m.allowed_deviation_xy < math.inf:
            fail(f"{key}.allowed_deviation_xy", f"must be > 0 m (or unset: half a cell), got "
                 f"{m.allowed_deviation_xy:g}")
        if not 0 < m.allowed_deviation_theta <= math.pi:
            fail(f"{key}.allowed_deviation_theta", f"must be > 0 and <= pi rad, got "
                 f"{m.allowed_deviation_theta:g}")
        for role in ROLES:
            kind = getattr(m.actions, role)
            if kind and not _ACTION_TYPE.fullmatch(kind):
                fail(f"{key}.actions.{role}", f"must be a VDA 5050 actionType (letters, digits, "
                     f"'_', '-', '.', ':') or \"\" for none, got {kind!r}")
        for table in ("parameters", "parameter_names"):
            for role, values in getattr(m.actions, table).items():
                if role not in ROLES:
                    fail(f"{key}.actions.{table}.{role}", f"no such piece of work; known: "
                         f"{', '.join(ROLES)}")
                for name, value in values.items():
                    if not name or (table == "parameter_names" and not value):
                        fail(f"{key}.actions.{table}.{role}", "parameter names must not be "
                             f"empty, got {name!r} = {value!r}")
        if not 0 < m.actions.dwell_s < math.inf:
            fail(f"{key}.actions.dwell_s", f"must be > 0 s, got {m.actions.dwell_s:g}")
        if m.factsheet is not None and not cfg.resolve(m.factsheet).is_file():
            fail(f"{key}.factsheet", f"file not found: {cfg.resolve(m.factsheet)}")
    first: dict[tuple[str, str], int] = {}
    for i, r in enumerate(cfg.robots):
        key = f"robots[{i}] ({r.serial})"
        if r.model not in names:
            fail(f"{key}.model", f"unknown robot model '{r.model}'; known: {', '.join(names)}")
        if r.manufacturer is not None and (not r.manufacturer or any(
                c in "/+#\0" or c.isspace() for c in r.manufacturer)):
            fail(f"{key}.manufacturer", f"must be one MQTT topic level (no '/', '+', '#', NUL "
                 f"or spaces), got {r.manufacturer!r}")
        pair = (cfg.manufacturer(r), r.serial)
        if pair in first:
            j = first[pair]
            fail("robots", f"robots[{j}] ({r.serial}) and {key} are the same robot: "
                 f"manufacturer '{pair[0]}' and serial '{r.serial}' must be unique (give one "
                 f"another serial, or its own manufacturer)")
        first[pair] = i
        if r.transport == "serial" and not r.port:
            fail(f"{key}.port", "a serial robot needs port (a device path or pyserial URL)")
        if r.baudrate <= 0:
            fail(f"{key}.baudrate", f"must be > 0, got {r.baudrate}")
        if r.stopbits not in (1, 1.5, 2):
            fail(f"{key}.stopbits", f"must be 1, 1.5 or 2, got {r.stopbits:g}")
        for name in ("open_timeout_s", "write_timeout_s"):
            value = getattr(r, name)
            if not value > 0:
                fail(f"{key}.{name}", f"must be > 0 s, got {value:g}")
    bad = sorted({c for c in cfg.site.id if c in "/+#\0" or c.isspace()})
    if not cfg.site.id or bad or len(cfg.site.id) > 64:
        fail("site.id", f"must be 1-64 characters and one MQTT topic level (no '/', '+', '#', "
             f"NUL or spaces), got {cfg.site.id!r}")
    url = cfg.broker.url
    if url != "embedded":
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
            fail("broker.url", f"expected 'embedded', mqtt://host[:port] or mqtts://host[:port], "
                 f"got '{url}'")
        try:
            port = parsed.port
        except ValueError:
            port = -1
        if port is not None and not 0 < port < 65536:
            fail("broker.url", f"the port must be 1..65535, got '{url}'")
        if parsed.username is not None or parsed.password is not None:
            fail("broker.url", "no user or password in the URL: the config file is no place for "
                 "secrets; set broker.username and broker.password_env or password_file")
    if not 0 <= cfg.broker.listen_port < 65536:
        fail("broker.listen_port", f"must be 0 (any free port) or 1..65535, got "
             f"{cfg.broker.listen_port}")
    if not cfg.broker.listen_host or any(c.isspace() for c in cfg.broker.listen_host):
        fail("broker.listen_host", f"expected an address such as 127.0.0.1 or 0.0.0.0, got "
             f"{cfg.broker.listen_host!r}")
    if (cfg.broker.listen_cert_file is None) != (cfg.broker.listen_key_file is None):
        fail("broker.listen_cert_file", "listen_cert_file and listen_key_file go together "
             "(the embedded broker's TLS certificate and its key)")
    if not cfg.store.state_dir:
        fail("store.state_dir", "must name a folder (relative to the config file)")
    if cfg.broker.keepalive < 5:
        fail("broker.keepalive", f"must be >= 5 s, got {cfg.broker.keepalive}")
    if cfg.dispatch.cold_food_s <= 0 or cfg.dispatch.guest_timeout_s <= 0:
        fail("dispatch", "cold_food_s and guest_timeout_s must be > 0")
    d = cfg.dispatch
    if not 0 < d.no_progress_s <= d.stall_abort_s:
        fail("dispatch.no_progress_s", f"must be > 0 s and at most stall_abort_s "
             f"({d.stall_abort_s:g} s), got {d.no_progress_s:g}")
    if d.stall_abort_s > d.cold_food_s:
        fail("dispatch.stall_abort_s", f"must be at most cold_food_s ({d.cold_food_s:g} s): "
             f"a stalled trip is given up before its food is cold, got {d.stall_abort_s:g}")
    for name, text in cfg.shifts.items():
        if not name.strip():
            fail("shifts", "a shift needs a name (lunch = \"11:00-14:30\")")
        try:
            parse_shift(name, text)
        except ValueError as exc:
            fail(f"shifts.{name}", str(exc))
    if not cfg.map_path.is_file():
        fail("site.map", f"floor plan not found: {cfg.map_path}")


def _name_robot(raw: Mapping[str, Any], key: str) -> str:
    """``robots[2].parity`` -> ``robots[2] (R3).parity``, as ``_check`` names robots."""
    match = re.match(r"robots\[(\d+)\]", key)
    robots = raw.get("robots")
    if match is None or not isinstance(robots, list) or int(match[1]) >= len(robots):
        return key
    entry = robots[int(match[1])]
    serial = entry.get("serial") if isinstance(entry, dict) else None
    if not isinstance(serial, str):
        return key
    return f"{match[0]} ({serial}){key[match.end():]}"


def load_config(path: str | Path | None = None, *,
                env: Mapping[str, str] | None = None) -> Config:
    """Load, override from the environment, and validate; ``ConfigError`` otherwise.

    ``path=None`` uses built-in defaults relative to the current directory.
    """
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    where = "defaults"
    base = Path.cwd()
    if path is not None:
        p = Path(path)
        where = str(p)
        base = p.resolve().parent
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{where}: not a text file (byte {exc.start} is not UTF-8): "
                              "is it the right file?") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    if "base_dir" in raw:
        raise ConfigError(f"{where}: base_dir: not a setting (it is the config file's folder)")
    _apply_env(raw, env)
    shifts = raw.get("shifts")
    if isinstance(shifts, dict):
        # msgspec names a table's bad value `shifts[...]`; the manager needs its name.
        for name, value in shifts.items():
            if not isinstance(value, str):
                raise ConfigError(f"{where}: shifts.{name}: Expected `str`, got "
                                  f"`{type(value).__name__}` ({FORMAT})")
    raw["base_dir"] = str(base)
    try:
        cfg = msgspec.convert(raw, Config, strict=True)
    except msgspec.ValidationError as exc:
        text = str(exc)
        key = ""
        if " - at `$." in text:
            text, _, at = text.partition(" - at `$.")
            key = _name_robot(raw, at.rstrip("`")) + ": "
        raise ConfigError(f"{where}: {key}{text}") from exc
    _check(cfg, where)
    return cfg

"""Where a connection goes and how it authenticates, validated once from the config.

The driver has its own type for the broker's settings (``BrokerSettings``), built
by the command line from ``fleet.config.BrokerConfig``
(``fleet.cli.credentials.broker_settings``): the driver then loads without the
config schema, and a key added to or renamed in the config cannot change what a
link does without the conversion saying so.

Errors name the config key (``broker.url``, ``broker.ca_file``) because the person
reading them fixes ``config.toml`` or a ``FLEET_BROKER__*`` variable, not code.
Credentials never come from the URL: the password is resolved by the caller from
the environment or a file (``Config.broker_password()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fleet.errors import ConfigError

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """The site's broker as the driver needs it, before the password is resolved and
    relative paths are placed; the defaults are ``config.toml``'s."""

    url: str = "embedded"
    """``embedded`` starts a broker in-process; else ``mqtt://host:port`` or ``mqtts://``."""
    client_id: str = "fleet-controller"
    keepalive: int = 30
    username: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    listen_host: str = "127.0.0.1"
    """Where an embedded broker listens (with users; anonymous ones stay on loopback)."""
    listen_port: int = 0
    """An embedded broker's port; 0 picks a free one at each start."""


def parse_broker_url(url: str) -> tuple[bool, str, int]:
    """``mqtt://host:port`` or ``mqtts://host:port`` -> (tls, host, port)."""
    expected = "expected mqtt://host:port or mqtts://host:port"
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ConfigError(f"broker.url: {expected} (or 'embedded'), got {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("broker.url: credentials do not belong in the URL; set broker.username"
                          " and broker.password_env or broker.password_file")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"broker.url: {expected}, with no path or query, got {url!r}")
    if not parts.hostname:
        raise ConfigError(f"broker.url: no host in {url!r}; {expected}")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"broker.url: the port in {url!r} is not a number in 1..65535") from None
    if port == 0:
        raise ConfigError(f"broker.url: the port in {url!r} is not a number in 1..65535")
    return parts.scheme == "mqtts", parts.hostname, port or DEFAULT_PORTS[parts.scheme]


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """Where and how to connect; built once from the config, then passed in."""

    host: str
    port: int = 1883
    tls: bool = False
    ca_file: str | None = None
    """CA bundle to verify the broker; the system's CAs when None (TLS only)."""
    cert_file: str | None = None
    key_file: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = "fleet-controller"
    keepalive: int = 30
    clean_session: bool = True

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    @classmethod
    def from_config(cls, broker: BrokerSettings, url: str | None = None, *,
                    password: str | None = None, base_dir: str | Path = ".",
                    client_id: str | None = None) -> MqttSettings:
        """``url`` overrides ``broker.url`` (the embedded broker's real address);
        ``password`` is what ``Config.broker_password()`` resolved."""
        tls, host, port = parse_broker_url(url if url is not None else broker.url)
        if not 1 <= broker.keepalive <= 65535:
            raise ConfigError(f"broker.keepalive: must be 1..65535 s, got {broker.keepalive}")
        cid = client_id if client_id is not None else broker.client_id
        if not cid:
            raise ConfigError("broker.client_id: must not be empty (the broker tells clients "
                              "apart by it)")
        files: dict[str, str | None] = {}
        for key in ("ca_file", "cert_file", "key_file"):
            value = getattr(broker, key)
            if value is not None:
                if not tls:
                    raise ConfigError(f"broker.{key} is set but broker.url uses mqtt:// (no TLS);"
                                      " use mqtts://")
                path = Path(value) if Path(value).is_absolute() else Path(base_dir) / value
                if not path.is_file():
                    raise ConfigError(f"broker.{key}: no such file: {path}")
                value = str(path)
            files[key] = value
        if files["key_file"] and not files["cert_file"]:
            raise ConfigError("broker.key_file is set but broker.cert_file is not")
        if password is not None and broker.username is None:
            raise ConfigError("broker.username: a password is configured but no username")
        return cls(host=host, port=port, tls=tls, ca_file=files["ca_file"],
                   cert_file=files["cert_file"], key_file=files["key_file"],
                   username=broker.username, password=password, client_id=cid,
                   keepalive=broker.keepalive)

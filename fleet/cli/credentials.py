"""Credentials for fleet's own clients, so that nothing has to be typed on the
controller's machine: ``fleet run`` makes them in the state folder and starts the
broker with them; ``fleet dashboard`` and ``fleet sim-robots`` run beside it find
them there.

Whoever sets ``broker.username`` (with ``password_env`` or ``password_file``) is
taken at their word: the state folder is only consulted when the config names no
user, so a till or a tablet elsewhere uses the credentials it was given.
"""

from __future__ import annotations

import dataclasses
import logging

from drivers.mqtt.broker import BrokerAuth, ListenerTls
from drivers.mqtt.settings import BrokerSettings, MqttSettings
from fleet.access.userbook import UserBook
from fleet.config import BrokerConfig, Config
from fleet.errors import ConfigError

log = logging.getLogger(__name__)


def broker_settings(broker: BrokerConfig) -> BrokerSettings:
    """The config's ``[broker]`` in the MQTT driver's own terms: the one place the two
    meet, so the driver never imports the config (the password is resolved apart, by
    ``Config.broker_password``)."""
    return BrokerSettings(url=broker.url, client_id=broker.client_id,
                          keepalive=broker.keepalive, username=broker.username,
                          ca_file=broker.ca_file, cert_file=broker.cert_file,
                          key_file=broker.key_file, listen_host=broker.listen_host,
                          listen_port=broker.listen_port)


def prepare_embedded(cfg: Config) -> UserBook:
    """The site's users with fleet's own made where missing, and the broker's password
    file and ACL written afresh from them and the config (a robot added to the config
    is in the ACL at the next start)."""
    with UserBook.editing(cfg) as book:
        made = book.provision_local(cfg)
        book.save(cfg)
    if made:
        log.info("made broker users %s in %s", ", ".join(made), book.folder)
    return book


def broker_auth(book: UserBook) -> BrokerAuth:
    return BrokerAuth(password_file=book.passwd_path, acl_file=book.acl_path,
                      pid_file=book.folder / "mosquitto.pid")


def local_settings(settings: MqttSettings, book: UserBook, user: str) -> MqttSettings:
    """``settings`` as the local user ``user``, when this machine holds its password and
    the config names no user of its own; else unchanged. The client id becomes the user
    name: the broker replaces it so anyway, and a till's or dashboard's reply topic is
    named by it."""
    if settings.username is not None:
        return settings
    password = book.local_password(user)
    if password is None:
        return settings
    return dataclasses.replace(settings, username=user, password=password, client_id=user)


def local_book(cfg: Config) -> UserBook | None:
    """The state folder's users if there are any (``fleet run`` made them), else None."""
    book = UserBook.open(cfg)
    return book if book.users else None


def listener_tls(cfg: Config) -> ListenerTls | None:
    """The embedded broker's certificate and key, if the config gives them; a missing
    file is a ``ConfigError`` naming its key before anything starts."""
    b = cfg.broker
    if b.listen_cert_file is None or b.listen_key_file is None:
        return None
    paths = []
    for key, value in (("listen_cert_file", b.listen_cert_file),
                       ("listen_key_file", b.listen_key_file)):
        path = cfg.resolve(value)
        if not path.is_file():
            raise ConfigError(f"broker.{key}: no such file: {path}")
        paths.append(path)
    return ListenerTls(cert_file=paths[0], key_file=paths[1])

"""Who may say what on the site's broker: roles, users and the ACL made from them.

The broker enforces the roles, not the controller, because the controller never
sees a message sent straight to a robot's ``instantActions`` or a forged retained
status. So each party connects as a user of a role, and the broker (Mosquitto,
started by ``fleet run``) gets a password file and an ACL generated from the site
config and the users:

- ``roles``: the roles and what each may do; user names.
- ``passwords``: Mosquitto's PBKDF2-SHA512 password hashes, written without its tools.
- ``acl``: the ACL text for a site.
- ``userbook``: the users in the state folder, the files the broker reads, and the
  passwords of fleet's own clients (controller, simulated robots, local dashboard).

Nothing here touches the network: the broker side is in ``drivers.mqtt.broker``.
"""

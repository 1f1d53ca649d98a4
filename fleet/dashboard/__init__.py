"""The floor manager's Textual dashboard. It reaches the controller only through
the fleet API (a ``FleetSource``: ``FleetClient`` over MQTT, or anything a test
supplies); ``build_app`` is how the CLI and the tests make one."""

from fleet.dashboard.app import FleetDashboard, build_app

__all__ = ["FleetDashboard", "build_app"]

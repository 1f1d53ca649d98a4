"""Benchmarks of the drivers against simulated peers: MQTT (a broker, many vehicles,
publishers) and serial (a pty line). Here, not in ``drivers``, because they drive
the simulator and the controller: drivers depend on neither."""

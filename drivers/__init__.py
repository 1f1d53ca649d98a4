"""Robot links: VDA 5050 over MQTT, serial, in-process."""

"""Robot links: VDA 5050 over MQTT and serial."""

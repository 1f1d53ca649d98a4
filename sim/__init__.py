"""The simulator: robots, kitchen, guests, faults, referee."""

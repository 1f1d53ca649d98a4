"""The fleet controller."""

"""Benchmarks run as commands (``fleet bench ...``): they return rows and tables, not asserts."""

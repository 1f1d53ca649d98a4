"""Where orders, dishes, trips and events are kept as they happen.

The controller writes through ``Store``; a restarted controller reloads open
orders and trips from it. ``SqliteStore`` keeps them in a file (WAL);
``MemoryStore`` keeps them for the life of the process (simulations, tests).
"""

from fleet.errors import StoreError
from fleet.store.base import Store
from fleet.store.memory import MemoryStore
from fleet.store.sqlite import SCHEMA_VERSION, SqliteStore

__all__ = ["SCHEMA_VERSION", "MemoryStore", "SqliteStore", "Store", "StoreError"]

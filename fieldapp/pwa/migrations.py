"""Schema of the pwa area (offline sync)."""

from sqlite_utils.migrations import Migrations

migrations = Migrations("pwa")

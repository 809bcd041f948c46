"""Schema of the contacts area."""

from sqlite_utils.migrations import Migrations

migrations = Migrations("contacts")

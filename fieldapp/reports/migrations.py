"""Schema of the reports area."""

from sqlite_utils.migrations import Migrations

migrations = Migrations("reports")

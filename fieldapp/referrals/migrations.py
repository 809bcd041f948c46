"""Schema of the referrals area."""

from sqlite_utils.migrations import Migrations

migrations = Migrations("referrals")

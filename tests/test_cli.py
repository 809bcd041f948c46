"""Flask commands."""

import sqlite3

from fieldapp.accounts import store


def test_init_db_is_repeatable(runner):
    assert 0 == runner.invoke(args=["init-db"]).exit_code
    result = runner.invoke(args=["init-db"])
    assert 0 == result.exit_code and "Database ready" in result.output


def test_demo_is_idempotent(runner, db):
    counts = {name: db[name].count for name in db.table_names()
              if not name.startswith(("_", "audit")) and "_fts" not in name}
    assert 0 == runner.invoke(args=["demo"]).exit_code
    assert counts == {name: db[name].count for name in counts}


def test_create_user_prints_a_one_time_password(runner, db):
    result = runner.invoke(args=["create-user", "--email", "Ada@demo.test", "--name", "Ada",
                                 "--role", "officer"])
    assert 0 == result.exit_code, result.output
    password = result.output.strip().splitlines()[-1].split(": ")[-1]
    user = store.get_user_by_email(db, "ada@demo.test")
    assert store.verify_password(user, password, "unused")
    assert 1 == user["must_change_password"]


def test_create_partner_needs_an_organization(runner, db):
    result = runner.invoke(args=["create-user", "--email", "p@demo.test", "--name", "P",
                                 "--role", "partner"])
    assert 2 == result.exit_code
    assert "organization" in result.output
    assert store.get_user_by_email(db, "p@demo.test") is None


def test_backup_copies_the_live_database(runner, tmp_path, db):
    target = tmp_path / "copy.db"
    result = runner.invoke(args=["backup", str(target)])
    assert 0 == result.exit_code, result.output
    from fieldapp.db import connect

    copy = connect(str(target))
    assert db["user"].count == copy["user"].count
    assert db["organization"].count == copy["organization"].count
    copy.conn.close()


def backed_up(runner, tmp_path) -> str:
    target = tmp_path / "copy.db"
    assert 0 == runner.invoke(args=["backup", str(target)]).exit_code
    return str(target)


def test_check_copy_passes_a_fresh_backup(runner, tmp_path, db):
    assert db["contact"].count > 0  # the freshness check has something to compare
    result = runner.invoke(args=["check-copy", backed_up(runner, tmp_path)])
    assert 0 == result.exit_code, result.output
    assert "integrity check ok" in result.output


def test_check_copy_fails_a_torn_copy(runner, tmp_path):
    """A page holding another page's bytes, as a torn Litestream snapshot did (an image of
    page 1 where an index page of the contact table belonged)."""
    copy = backed_up(runner, tmp_path)
    conn = sqlite3.connect(copy)
    page_size = conn.execute("pragma page_size").fetchone()[0]
    [root] = conn.execute("select rootpage from sqlite_master "
                          "where name = 'idx_contact_officer_id_created_at'").fetchone()
    conn.close()
    with open(copy, "r+b") as f:
        first = f.read(page_size)
        f.seek((root - 1) * page_size)
        f.write(first)
    result = runner.invoke(args=["check-copy", copy])
    assert 1 == result.exit_code
    assert "is not a good copy" in result.output
    assert "integrity check failed: database disk image is malformed" in result.output


def test_check_copy_fails_a_copy_from_before_a_migration(runner, tmp_path):
    copy = backed_up(runner, tmp_path)
    with sqlite3.connect(copy) as conn:
        conn.execute("delete from _sqlite_migrations where id = (select max(id) from "
                     "_sqlite_migrations)")
    result = runner.invoke(args=["check-copy", copy])
    assert 1 == result.exit_code and "lacks 1 of the live database's migrations" in result.output


def test_check_copy_fails_a_copy_left_behind(runner, tmp_path):
    copy = backed_up(runner, tmp_path)
    with sqlite3.connect(copy) as conn:  # its contacts all stored two hours earlier
        conn.execute("update contact set created_at = datetime(created_at, '-2 hours') "
                     "|| '+00:00'")
    result = runner.invoke(args=["check-copy", copy])
    assert 1 == result.exit_code and "is the copy being kept up" in result.output
    assert 0 == runner.invoke(args=["check-copy", "--max-behind", "180", copy]).exit_code


def test_check_copy_fails_what_is_not_a_database(runner, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 400)
    result = runner.invoke(args=["check-copy", str(junk)])
    assert 1 == result.exit_code and "file is not a database" in result.output


def test_check_copy_fails_a_database_that_is_not_fieldapps(runner, tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (body text)")
    result = runner.invoke(args=["check-copy", str(other)])
    assert 1 == result.exit_code and "is not a fieldapp database" in result.output

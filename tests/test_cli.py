"""Flask commands."""

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

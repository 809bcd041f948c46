from flask import Blueprint

bp = Blueprint("accounts", __name__)


@bp.record_once
def _make_dummy_hash(state) -> None:
    # Made at start-up, so that not even a worker's first unknown e-mail costs an extra hash.
    store.dummy_hash(state.app.config["PASSWORD_HASH_METHOD"])


from fieldapp.accounts import routes, store  # noqa: E402,F401

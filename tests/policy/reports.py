# The board report and calls for service: coordinators only.
POLICY = {
    "reports.board": {"roles": {"coordinator"}},
    "reports.summary_page": {"roles": {"coordinator"}},
    "reports.print_css": {"roles": {"coordinator"}},
    "reports.board_csv": {"roles": {"coordinator"}},
    "reports.board_datapackage": {"roles": {"coordinator"}},
    "reports.calls_page": {"roles": {"coordinator"}},
    "reports.upload_calls": {"roles": {"coordinator"}},
    "reports.link_key": {"roles": {"coordinator"}},
    "reports.unlink_key": {"roles": {"coordinator"}},
}

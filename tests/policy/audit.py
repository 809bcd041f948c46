# The audit trail (accounts area): coordinators only, each seeing their own police service.
POLICY = {
    "accounts.audit": {"roles": {"coordinator"}},
    "accounts.audit_csv": {"roles": {"coordinator"}},
}

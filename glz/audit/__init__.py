"""`glz audit`: read-only checks of a deployed landing zone against what its stack state declares.

An auditor trusts what is observed in the account more than what is declared in code; the audit reads
the account with boto3 (read-only calls only, see docs/audit-permissions.json) and writes evidence the
control matrix joins through the probe names.
"""

"""Names vulture (make lint) would call unused that are used, by something it cannot see.

Each line names the thing and says who uses it. Only read by vulture, never imported; handlers
(`@operation`, `@logs_operation`), click commands and pytest fixtures and hooks are recognised by
their decorators in pyproject.toml's [tool.vulture] instead.
"""
# ruff: noqa: B018, F821

# TypedDict members: the keys of the dicts the handlers return (the type checker reads them).
_.nextToken  # api/context.NextToken
_.totalResults, _.nextItemOffset  # api/search._Page
_.principalId, _.principalType, _.identityStoreId, _.membershipLevel  # api/members._Membership
_.createdAt, _.createdBy, _.updatedAt, _.updatedBy  # api/resources.AuditFields

# Called by name: Context.signal(name) calls the server's signals (api/context.py, server.py).
_.job_created
_.fan_out_queued

# Framework hooks, called by the framework that owns the class.
_.list_commands, _.get_command  # click.Group (cli/main.py)
_._on_connect, _._on_begin, _._on_checkin, _._on_commit, _._on_rollback  # SQLAlchemy event listeners (store/engine.py)
_._on_execute, _._on_execute_no_params, _._on_executemany  # the dialect's execute hooks (store/engine.py)
_.isolation_level  # the sqlite3 connection's attribute, set to take transaction control (store/engine.py)
_.use_insertmanyvalues_wo_returning  # the SQLAlchemy dialect's switch, set on the PostgreSQL engine (store/engine.py)
_.impl, _.cache_ok, _.process_bind_param, _.process_result_value  # SQLAlchemy TypeDecorator (store/types.py)
_.CANONICAL_NAME  # botocore CredentialProvider (worker/credentials.py, worker/job_attachments.py)
__getattr__  # a module's lazy attributes (testing/__init__.py)
_.pytest_addoption, _.pytest_configure  # pytest plugin hooks (testing/pytest_plugin.py)
pytest_collection_modifyitems  # tests/conftest.py: the long-running modules first
_.do_POST, _.log_message  # http.server.BaseHTTPRequestHandler (tests)
_.redirect_request  # urllib's HTTPRedirectHandler (tests/web/test_monitor_http.py)
_.optionxform  # configparser, keeps option names' case (tests/cli/test_services.py)
_.get_current_datetime  # botocore's signer clock, replaced by a test (tests/protocol/test_signing.py)
pytestmark  # pytest reads a test module's marks from it

# The context-manager protocol: __exit__ takes the traceback whether it reads it or not.
trace, traceback

# Read by templates (Jinja2), which vulture does not read.
_.median_ms, _.max_ms  # web/estimates.FrameTimes, shown by job_live.html

# Used by a migration (store/migrations is left out: revisions are history, not code to prune).
status_check_name  # store/schema.py, by versions/0004_status_checks.py

# Test arguments that are fixtures used for their effect, or parametrize names.
callers_aws_settings  # tests/testing/test_pytest_plugin.py: sets the caller's AWS variables
shape_name  # tests/protocol/test_validation.py: names the parametrized case

# prometheus_client calls a registered collector's collect() on each scrape.
_.collect  # metrics/farm.FarmCollector

# socketserver reads this class attribute when binding.
allow_reuse_address  # tests/support/webhook_receiver.py: restarted on its own port

# aiosmtpd calls a handler's handle_DATA for each mail it accepts.
_.handle_DATA  # tests/support/mailbox.py

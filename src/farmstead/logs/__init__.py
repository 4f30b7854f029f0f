"""A CloudWatch-Logs-compatible subset (botocore service `logs`), served on Farmstead's own endpoint.

The worker agent uploads session and agent logs here with PutLogEvents; users read them back with
GetLogEvents/FilterLogEvents. Handlers are keyed by `logs` operation name in `logs.registry`, run
by `logs.executor` behind `protocol.json_rpc`; SQL lives in `store.logs`, pure rules in
`domain.log_events` and `domain.log_names`.
"""

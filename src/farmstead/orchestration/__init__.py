"""The engine: what moves tasks and sessions, for the request handlers (api/) and the server's
threads (background/) alike, so both paths write the same rows.

Owns the use cases between a decision and its rows: a status target applied to tasks and rolled up
(`task_updates`), a worker's reports walking tasks through the state machine (`task_runs`) with the
heartbeat's writes batched (`task_changes`), sessions opened, topped up, wound down and given back
(`worker_sessions`), jobs stored and materialized (`job_creation`), bulk changes too large for one
request queued and applied in batches (`deferral`, `fan_outs`), and a report's times (`report_times`).
Must not: import protocol/ or api/ (it answers with outcomes and domain errors, which api/ turns into
the modelled ones), hold a rule (domain/ does) or write SQL (store/ does). It takes a Connection
from whoever owns the transaction.
"""

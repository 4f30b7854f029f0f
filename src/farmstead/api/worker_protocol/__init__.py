"""The six operations the model serves on the `scheduling.` host prefix: what a worker agent calls.

CreateWorker and UpdateWorker (`lifecycle`), UpdateWorkerSchedule (`schedule`), BatchGetJobEntity
(`job_entities`), AssumeFleetRoleForWorker and AssumeQueueRoleForWorker (`roles`). The rest of the
worker operations (GetWorker, ListWorkers, BatchGetWorker, DeleteWorker) are a user's, in api/workers.py.
Must not: move tasks or sessions itself (orchestration/ does), or write SQL.
"""

"""Farmstead's own worker agent: runs a fleet's jobs with openjd-sessions, talking to the server only
through boto3 (the protocol the official deadline-worker-agent speaks, docs/worker.md)."""

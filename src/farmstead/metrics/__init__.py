"""Prometheus metrics (docs/monitoring.md): GET /metrics on the server's port.

process.py holds what this process counts (API requests, dispatch, store transactions, worker
timeouts); farm.py reads the farm-wide gauges from the store on each scrape; access.py decides who
may scrape; endpoint.py serves the text format. Nothing here changes what the API does.
"""

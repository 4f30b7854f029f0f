"""Benchmarks of a real `farmstead server` process: `python -m bench all` or `python -m bench NAME`.

Owns: measuring the server from outside, over loopback, with clients lean enough that they measure
the server and not themselves (boto3 tops out at a few hundred calls per second: docs/benchmarks.md).
Every benchmark starts its own server on a temporary data directory and prints ratios measured
side by side in the same run; absolute numbers are printed too, but the machines are noisy.
Must not: import the server's code to call it in-process, or change anything outside its temp dirs.
"""

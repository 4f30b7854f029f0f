"""Farmstead: a self-hosted render farm manager that speaks the AWS Deadline Cloud API."""

__version__ = "0.1.0"

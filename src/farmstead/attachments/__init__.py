"""Job attachments: the Deadline Cloud content-addressed S3 layout (docs/attachments.md).

`storage_credentials` is the server's side (queue-role credentials from the S3 store's STS);
`manifests`, `layout` and `transfer` are the clients' side, used by `farmstead submit` and Farmstead's
own worker.
"""

"""What only Farmstead's own tests need, beside the public harness they share with studios
(farmstead.testing: live servers, scripted and real workers, PostgreSQL databases, SeaweedFS):

* raw_http: requests boto3 refuses to send (malformed bodies, oversized streams), for the protocol edge;
* tampering: forged values, for the refusal of what the server did not issue;
* worker_jobs: the frame-range jobs and farm the worker-protocol tests share;
* official_clients: the pinned official `deadline` CLI and worker agent, in venvs under the checkout;
* moto_store: moto, for the one S3 answer SeaweedFS gives differently from AWS (moto is dev-only);
* network_hosts: render nodes in network namespaces (root only);
* render_tools: Blender and ffmpeg, and comparing frames to a local render.

None of these is something a studio testing its own tools would reach for, and several need what a
studio's machine does not have (root, the source checkout, dev-only packages).
"""

"""A real S3-compatible server on loopback for the media-store tests: moto's, over HTTP, on a free port.

moto is imported when a server starts, not when this module is: the test extra's `moto[server]` is needed only
by the tests that ask for one.
"""

from __future__ import annotations

import uuid
from typing import Any

# Any credentials do against moto; set in the environment so boto3's standard chain is what finds them.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class S3Server:
    def __init__(self) -> None:
        import boto3
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.client: Any = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        ).client("s3", endpoint_url=self.url)

    def new_bucket(self) -> str:
        """A fresh, empty bucket (moto's state lives as long as the server: one bucket per test)."""
        name = f"media-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def stop(self) -> None:
        self._server.stop()

"""S3 replication against a real S3-compatible server on 127.0.0.1 (moto's server, issue 14).

moto's server speaks the S3 REST API over HTTP; Litestream reaches it through the URL's query
(`endpoint`, `region`, `forcePathStyle`), as it would MinIO or Ceph. The tracker passes the
URL through as it is, and credentials only through the environment.
"""

from __future__ import annotations

import pytest
from conftest import SAMPLE_CSV
from test_replica import history, scan, tracker
from test_replica import replicators as replicators  # noqa: F401 - the fixture, shared

from tracker import store

moto_server = pytest.importorskip("moto.server", reason="moto[server] is in the test extras")
boto3 = pytest.importorskip("boto3")

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "tracker-test", "AWS_SECRET_ACCESS_KEY": "not-secret"}


@pytest.fixture
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-central-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    ).create_bucket(
        Bucket="tracker", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    yield endpoint
    server.stop()


def test_s3_replica_replicates_checks_restores_and_syncs(
    tmp_path,
    s3_endpoint,
    replicators,  # noqa: F811 - the fixture imported above
):
    db = tmp_path / "city" / "tracker.db"
    db.parent.mkdir()
    scan(db, "EKS-PAS-001")
    url = f"s3://tracker/cityhall?endpoint={s3_endpoint}&region=eu-central-1&forcePathStyle=true"
    # Litestream 0.5.17 cannot start an S3 client while AWS_CA_BUNDLE is set; the tracker
    # hands it over as SSL_CERT_FILE instead (tracker.replica.config.litestream_env).
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    env = {**CREDENTIALS, "AWS_CA_BUNDLE": str(bundle)}

    empty = tracker(db, "replicate", "--check", url, env=env)
    assert empty.returncode == 2, empty.stdout + empty.stderr
    rep = replicators(db, url, env=env)
    scan(db, "EKS-PAS-002")
    rep.wait_replicated(store.now())
    checked = tracker(db, "replicate", "--check", url, env=env)
    assert checked.returncode == 0 and "OK" in checked.stdout, checked.stdout + checked.stderr
    assert rep.stop() == 0

    laptop = tmp_path / "laptop" / "tracker.db"
    laptop.parent.mkdir()
    restored = tracker(laptop, "restore", url, env=env)
    assert restored.returncode == 0, restored.stderr
    assets = len(SAMPLE_CSV.read_text(encoding="utf-8").splitlines()) - 1
    assert f"integrity ok, {assets} assets, 8 events" in restored.stdout  # 2 kits of 3 parts
    assert history(laptop) == history(db)

    # Another station merges the replica straight from the bucket.
    scan(laptop, "EKS-NID-001", "arrived", "hovedbibliotek")
    other = tmp_path / "library" / "tracker.db"
    other.parent.mkdir()
    scan(other, "EKS-BAR-005", "installed", "hovedbibliotek")
    merged = tracker(other, "sync", url, env=env)
    # the two workstation scans in the replica, each with its three kit parts
    assert merged.returncode == 0 and "added 8 events" in merged.stdout, merged.stderr

    missing = tracker(tmp_path / "x.db", "restore", url.replace("cityhall", "nowhere"), env=env)
    assert missing.returncode == 2 and "nothing replicated there" in missing.stderr

"""Continuous off-site copies of the tracker database, by Litestream (issue 14).

- `target`: the replica URLs the tracker accepts (file://, sftp:// with a pinned host key, s3://).
- `config`: Litestream's configuration, generated from the tracker's settings.
- `state`: the status file `tracker replicate` keeps beside the database, read by `tracker
  status`, the app and the store (no checkpoints of our own while Litestream runs).
- `supervise`: runs and restarts the `litestream replicate` process, in the foreground.
- `restore`: the latest replicated state into a new file, checked.
- `fetch`: an SFTP restore's files downloaded at once (Litestream reads SFTP slowly).
- `check`: a monitoring-style check of a replica (exit 0/1/2).

Imports only the core (store, station) and the fleet's SSH code (pinned host keys, key login);
never the UI or CLI.
"""

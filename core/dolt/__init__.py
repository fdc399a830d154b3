"""Talking to the Dolt SQL server where a town keeps its beads (MySQL protocol, PyMySQL).

``config``: the ``[dolt]`` settings of config.toml. ``target``: which server and database hold a
``.beads`` folder's beads (config.toml, beads' own environment variables, ``metadata.json``,
defaults). ``session``: connections with timeouts, one attempt per server per load. ``tables``:
what a database holds, read by name from ``information_schema``. ``dolt_sql``: the statements only
Dolt understands (history, commits), kept in one place because MariaDB, which the tests run
against, cannot run them. ``servers``: each town's server as a remote (``dolt`` transport) and
its check; ``reuse``: what a long-lived reader (the dashboard) keeps so that a reload reads again
only the databases whose change token moved.
"""

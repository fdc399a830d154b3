"""``crossdeck mcp``: the federation as MCP tools for agents (docs/cli.md, "mcp").

``tools`` says which tools there are and how each one maps to a CLI verb; ``cli_call`` runs that
verb in this process and returns its ``--json`` document (the same document, from the same
code, as the command line prints); ``watch`` is ``cross_repo_watch``; ``server`` wires them to the
official ``mcp`` SDK, which is imported only there (the ``crossdeck[mcp]`` extra)."""

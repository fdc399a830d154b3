"""The parsed cache: what loading a workspace made (its records and diagnostics), kept under the
cache folder so that a verb run again reads it instead of parsing every file again.

- ``entry``: one workspace's entry on disk: a header (what the load looked at, its stamps, the
  counts, sources and diagnostics) and each record kind as its own msgpack block, so that a verb
  decodes only the kinds it reads (``core.cache.views``).
- ``check``: whether the files and folders an entry was made from are as they were (stamps, and
  content for those that were racily clean).
- ``store``: finding, writing (atomically) and clearing entries; the federation-wide part
  (references that lead nowhere) kept for a set of entries.
- ``code``: the identity of the code that made an entry (crossdeck's version and its loaders'
  source), so that another version's entries are never read.

It is an optimisation: an entry that cannot be read, was written by other code, or whose files
changed is ignored (and written again), with nothing the user must act on. ``--no-cache`` on any
verb reads every file; ``crossdeck cache clear`` empties it.
"""

"""Sync: one library on every machine, through a WebDAV server or a synced folder.

Never a shared database file (SQLite over a synced folder corrupts): each machine appends
its own checksummed change files under ``nodes/<its id>/`` on the remote and reads the
others'. Every value merges by a rule each machine applies the same way (``journal``), so
machines that apply the same files in any order end in the same state.
"""

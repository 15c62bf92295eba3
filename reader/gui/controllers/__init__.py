"""The objects that run the window's long work (child processes, background jobs) and report it."""

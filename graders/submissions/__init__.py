"""From a path on disk to the source a worker runs: files, folders, notebooks, scripts.
Trusted: it reads learner files as text and never imports them."""

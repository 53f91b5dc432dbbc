"""cvgrade batch: grade many submissions in parallel, sandboxed and resumable."""

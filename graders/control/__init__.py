"""Process control across the boundary: start, limit, sandbox and talk to workers, and
grade a submission by probing there and judging here."""

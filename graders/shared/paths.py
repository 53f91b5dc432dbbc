"""Where the project's parts live on disk; the one place that knows the layout."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

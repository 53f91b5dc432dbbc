"""Where the project's parts live on disk; the one place that knows the layout."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
# The file name of the solution code sent to a worker as stand-ins: what tracebacks through a
# stand-in name as its file, and how the worker tells the grader's own code from the learner's.
REFERENCE_FILENAME = "<reference>"
# The parts of the layout an installation that grades needs: the engine, the provided code, the
# references and the data; not what develops the project (tests/, bench/, docs/, the git history).
GRADING_PARTS = ("graders", "exercises", "solutions", "fixtures", "pyproject.toml", "conftest.py")

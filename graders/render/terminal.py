"""The score table printed at the end of a pytest run."""

from __future__ import annotations

import shutil
import textwrap

from graders.judge.results import AssignmentResult

# Control characters from learner code or file names would let a submission clear the screen
# (escape sequences) or print a forged line (newlines, carriage returns): line breaks become
# spaces, as the table's wrapping made them anyway, and every other control is shown escaped.
_CONTROLS = {**{code: f"\\x{code:02x}" for code in [*range(0x20), 0x7f]}, **dict.fromkeys(range(0x09, 0x0e), " ")}


def visible(text: str) -> str:
    """`text` safe to print on a terminal: no control character reaches it as such."""
    return str(text).translate(_CONTROLS)


def terminal_table(result: AssignmentResult, width: int | None = None) -> str:
    width = width or max(80, min(shutil.get_terminal_size((100, 20)).columns, 140))
    name_width = max(len("exercise"), *(len(e.title) for e in result.exercises))
    feedback_width = max(30, width - name_width - 18)
    lines = [f"{visible(result.title)}  ({visible(result.submission)})",
             f"{'exercise':<{name_width}}  {'points':>6}  {'max':>4}  feedback",
             "-" * min(width, name_width + 18 + feedback_width)]
    for exercise in result.exercises:
        wrapped = textwrap.wrap(visible(exercise.feedback), feedback_width) or [""]
        lines.append(f"{exercise.title:<{name_width}}  {exercise.points:>6g}  {exercise.max_points:>4g}  "
                     f"{wrapped[0]}")
        lines += [" " * (name_width + 18) + more for more in wrapped[1:]]
        lines += [" " * (name_width + 18) + f"note: {visible(note)}" for note in exercise.notes]
    lines.append("-" * min(width, name_width + 18 + feedback_width))
    lines.append(f"{'total':<{name_width}}  {result.points:>6g}  {result.max_points:>4g}"
                 + ("" if result.counts_for_grade else "  (practice: does not count for a grade)"))
    for problem in result.load_problems:
        lines.append(f"while loading: {visible(problem)}")
    if result.left_out:
        lines.append(f"left out of the run: {len(result.left_out)} notebook statements "
                     "(see the HTML report for the list)")
    return "\n".join(lines)

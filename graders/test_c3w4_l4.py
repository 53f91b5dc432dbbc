"""Lab C3W4-L4 (practice: scored, counts for nothing in a grade).

    pytest graders/test_c3w4_l4.py [--submission PATH] [--report report.html]
"""

from graders.frontends.pytest_plugin import exercise_tests

test_c3w4_l4 = exercise_tests("c3w4_l4")

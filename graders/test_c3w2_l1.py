"""Lab C3W2-L1 (practice: scored, counts for nothing in a grade).

    pytest graders/test_c3w2_l1.py [--submission PATH] [--report report.html]
"""

from graders.frontends.pytest_plugin import exercise_tests

test_c3w2_l1 = exercise_tests("c3w2_l1")

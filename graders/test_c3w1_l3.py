"""Lab C3W1-L3 (practice: scored, counts for nothing in a grade).

    pytest graders/test_c3w1_l3.py [--submission PATH] [--report report.html]
"""

from graders.frontends.pytest_plugin import exercise_tests

test_c3w1_l3 = exercise_tests("c3w1_l3")

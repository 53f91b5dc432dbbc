"""Lab C3W2-L4 "Eager few-shot object detection", a rubber duck (practice).

    pytest graders/test_c3w2_l4.py                        # grades exercises/
    pytest graders/test_c3w2_l4.py --submission PATH      # a .py file, a folder or a notebook
    pytest graders/test_c3w2_l4.py --report report.html  # with pictures
"""

from graders.frontends.pytest_plugin import exercise_tests

test_c3w2_l4 = exercise_tests("c3w2_l4")

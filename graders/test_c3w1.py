"""C3W1 "Predicting bounding boxes".

    pytest graders/test_c3w1.py                        # grades exercises/
    pytest graders/test_c3w1.py --submission PATH      # a .py file, a folder or a notebook
    pytest graders/test_c3w1.py --report report.html  # with pictures
"""

from graders.frontends.pytest_plugin import exercise_tests

test_c3w1 = exercise_tests("c3w1")

"""C3W2 "Zombie detection".

    pytest graders/test_c3w2.py                        # grades exercises/
    pytest graders/test_c3w2.py --submission PATH      # a .py file, a folder or a notebook
    pytest graders/test_c3w2.py --report report.html  # with pictures
"""

from graders.frontends.pytest_plugin import exercise_tests

test_c3w2 = exercise_tests("c3w2")

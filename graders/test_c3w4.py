"""C3W4 "Saliency maps".

    pytest graders/test_c3w4.py                        # grades exercises/
    pytest graders/test_c3w4.py --submission PATH      # a .py file, a folder or a notebook
    pytest graders/test_c3w4.py --report report.html  # with pictures
"""

from graders.frontends.pytest_plugin import exercise_tests

test_c3w4 = exercise_tests("c3w4")

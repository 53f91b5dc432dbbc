"""C3W3 "Image segmentation of handwritten digits".

    pytest graders/test_c3w3.py                        # grades exercises/
    pytest graders/test_c3w3.py --submission PATH      # a .py file, a folder or a notebook
    pytest graders/test_c3w3.py --report report.html  # with pictures
"""

from graders.frontends.pytest_plugin import exercise_tests

test_c3w3 = exercise_tests("c3w3")

# corpus: base=solution at=end
# Writes outside its folder at import: /etc, the home folder, the project, /tmp. In the sandbox
# /etc and the project are read-only and /tmp and the home folder are the worker's own.
import os

import graders

_PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(graders.__file__)))
_NAME = "cvgrade-hostile-canary"
open(os.path.join("/etc", _NAME), "w").write("escaped\n")
open(os.path.join("/root", _NAME), "w").write("escaped\n")
open(os.path.expanduser(os.path.join("~", _NAME)), "w").write("escaped\n")
open(os.path.join(_PROJECT, _NAME), "w").write("escaped\n")
open(os.path.join(_PROJECT, "graders", _NAME), "w").write("escaped\n")
open(os.path.join("/tmp", _NAME), "w").write("escaped\n")
os.makedirs(os.path.join("/var/tmp", _NAME), exist_ok=True)

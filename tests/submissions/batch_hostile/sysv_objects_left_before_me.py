# corpus: base=solution at=start
# An honest learner that looks for SysV objects at import. Graded right after
# sysv_memory_in_decoder (on its station, or the other one), it must find none of that learner's,
# nor anyone's: each worker has an IPC namespace of its own, and the station's is emptied.
_SEEN = {_table: open(f"/proc/sysvipc/{_table}").read().splitlines()[1:] for _table in ("shm", "sem", "msg")}
assert _SEEN == {"shm": [], "sem": [], "msg": []}, f"found another learner's SysV objects: {_SEEN}"

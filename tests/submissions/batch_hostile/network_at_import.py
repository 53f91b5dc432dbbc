# corpus: base=solution at=end
# Phones home at import, by name and by address.
import socket

CONNECTION = socket.create_connection(("pypi.org", 443), timeout=3)
BY_ADDRESS = socket.create_connection(("151.101.0.223", 443), timeout=3)

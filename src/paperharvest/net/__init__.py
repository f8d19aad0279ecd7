"""The one place for HTTP policy: timeouts, retries, the run deadline, record and replay.

Sources never set their own timeout or retry policy; they get a configured `requests.Session` from
`Network.session()` (or mount `Network.adapter` on a library's own session, as with openreview-py).
"""

from paperharvest.net.network import Network

__all__ = ["Network"]

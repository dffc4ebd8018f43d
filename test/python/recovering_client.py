"""Connection-state recovery for python-socketio 5, which does not do it itself.

python-socketio 5.7 (Debian 12) keeps only the `sid` of the CONNECT reply and
sends the same auth on every reconnect, so a dropped transport means a new
session: rooms are gone and events committed meanwhile are missed. The
notifier's recovery needs only two things from the client: the `pid` of the
CONNECT reply and the offset of the last event, sent back with the token as
auth `{token, pid, offset}`. This subclass does that. It overrides two
internal methods of the client, `_handle_connect` and `_trigger_event`
(tested with python-socketio 5.7.2): pin the version you tested it with.
docs/clients.md shows this file; suite 47-python-client tests it across a
notifier restart.
"""
import threading

import socketio


class RecoveringClient(socketio.Client):
    def __init__(self, token, **kwargs):
        super().__init__(**kwargs)
        self.lock = threading.Lock()
        self.token = token      # replace it when you refresh the token
        self.pid = None         # from the CONNECT reply of "/"
        self.offset = None      # position of the last event from the database
        self.recovered = False  # like socket.recovered of socket.io-client

    def auth(self):
        """Passed as connect(auth=client.auth): called before every (re)connect."""
        if self.pid is not None and self.offset is not None:
            return {"token": self.token, "pid": self.pid, "offset": self.offset}
        return {"token": self.token}

    def _handle_connect(self, namespace, data):
        if (namespace or "/") == "/" and isinstance(data, dict):
            pid = data.get("pid")
            self.recovered = pid is not None and pid == self.pid
            if not self.recovered:
                self.offset = None      # a new session: old offsets mean nothing to it
            self.pid = pid
        super()._handle_connect(namespace, data)

    def _trigger_event(self, event, namespace, *args):
        # The offset is the last argument (a string) of every event from the
        # database. Handlers run in threads of their own, so keep the highest.
        if args and isinstance(args[-1], str) and args[-1].isdigit():
            with self.lock:
                if self.offset is None or int(args[-1]) > int(self.offset):
                    self.offset = args[-1]
        return super()._trigger_event(event, namespace, *args)

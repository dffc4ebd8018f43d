#!/usr/bin/python3
"""A roomcast client in Python with python-socketio 5 (Debian: python3-socketio,
python3-websocket for WebSocket, python3-requests for long-polling).

    example_client.py URL TOKEN KIND ID [websocket|polling] [SECONDS]

Connects with the access token, joins the room KIND:ID, asks the unread
count, then prints every event it receives, with the event's offset, as one
JSON line, for SECONDS (default 10). docs/clients.md shows this file; suite
47-python-client runs it.
"""
import json
import sys
import threading

import socketio

url, token, kind, room_id = sys.argv[1:5]
transport = sys.argv[5] if len(sys.argv) > 5 else "websocket"
seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 10

sio = socketio.Client(reconnection=False)
last_offset = None      # the highest log position seen: where a catch-up would start
lock = threading.Lock()  # handlers run in threads of their own (see on_event)


def show(**what):
    with lock:
        print(json.dumps(what), flush=True)


@sio.on("connect_error")
def on_connect_error(err):
    # {"message": "Unauthorized", "data": {"code": "INVALID_TOKEN"}}: see docs/protocol.md
    show(connect_error=err)


@sio.on("*")
def on_event(event, *args):
    # An event emitted from SQL carries its position in the room event log as
    # its last argument, a string of digits; events the notifier makes itself
    # (connected, room-joined, user-joined, ...) carry none. python-socketio
    # runs each handler in a thread of its own, so two events sent in commit
    # order may be handled out of order: compare offsets, do not trust arrival.
    global last_offset
    offset = None
    if args and isinstance(args[-1], str) and args[-1].isdigit():
        offset, args = int(args[-1]), args[:-1]
        with lock:
            last_offset = max(offset, last_offset or 0)
    show(event=event, args=list(args), offset=offset)


try:
    sio.connect(url, auth={"token": token}, transports=[transport])
except socketio.exceptions.ConnectionError as e:
    show(error=str(e))
    sys.exit(1)
show(transport=sio.transport())
# Requests are events with an acknowledgement: call() waits for the ack.
show(join=sio.call("join", {"kind": kind, "id": room_id}, timeout=5))
show(unread=sio.call("get_unread_count", timeout=5))
sio.sleep(seconds)
show(last_offset=last_offset)
sio.disconnect()

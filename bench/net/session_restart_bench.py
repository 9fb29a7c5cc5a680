#!/usr/bin/env python3
"""Restart time with many persistent sessions holding queued messages.

Against a running broker (--data_dir, --persistence sync) on 127.0.0.1:PORT: N MQTT 3.1.1 clean-session-0
clients each subscribe to their own topic (fleet/dev-<i>/cmd, QoS 1) and go away; one publisher then
sends M QoS 1 messages (64 B) to each, pipelined, and waits for every PUBACK. Stop the broker, start it
again on the same --data_dir and read its "persistence:" log lines for replay and restore times.
  bench/net/session_restart_bench.py PORT [N=100000] [M=5]
"""
import pathlib
import socket
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "integration"))
import mqtt_bytes as mb  # noqa: E402

port = int(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
msgs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
t = time.time()
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(mb.connect(f"dev-{i:06d}", clean_session=False) + mb.subscribe(1, [(f"fleet/dev-{i:06d}/cmd", 1)]) + mb.disconnect())
    socks.append(s)
    if len(socks) >= 200:
        for x in socks:
            x.recv(100); x.close()
        socks = []
for x in socks:
    x.recv(100); x.close()
print("sessions made in", round(time.time() - t, 1), "s")
time.sleep(1)
p = socket.create_connection(("127.0.0.1", port))
p.sendall(mb.connect("pub", clean_session=True)); p.recv(4)
total = n * msgs
acked = 0
def reader():
    global acked
    buf = b""
    while acked < total:
        data = p.recv(65536)
        if not data:
            return  # the broker closed the connection
        buf += data
        k = len(buf) // 4
        acked += k
        buf = buf[k * 4:]
th = threading.Thread(target=reader); th.start()
pid = 0
chunk = []
for k in range(msgs):
    for i in range(n):
        pid = pid % 65535 + 1
        chunk.append(mb.publish(f"fleet/dev-{i:06d}/cmd", b"x" * 64, qos=1, packet_id=pid))
        if len(chunk) == 1000:
            deadline = time.time() + 60
            while (k * n + i) - acked > 20000 and time.time() < deadline:
                time.sleep(0.001)  # at most 20,000 PUBLISHes ahead of their PUBACKs
            p.sendall(b"".join(chunk)); chunk = []
if chunk: p.sendall(b"".join(chunk))
th.join(120)
print("published", total, "acked", acked, "in", round(time.time() - t, 1), "s")

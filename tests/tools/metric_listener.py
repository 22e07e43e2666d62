#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Stands in for a metric consumer: listens on a UNIX stream socket and appends each
message it receives, as one line of hex, to a file. Ends when no connection came for
TIMEOUT seconds.

usage: metric_listener.py SOCKET OUT TIMEOUT
"""
import socket
import sys


def main():
    path, out, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    s.settimeout(timeout)
    while True:
        try:
            c, _ = s.accept()
        except socket.timeout:
            break
        c.settimeout(5)
        data = b""
        while True:
            try:
                d = c.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            data += d
        c.close()
        if data:
            with open(out, "a") as f:
                f.write(data.hex() + "\n")


if __name__ == "__main__":
    main()

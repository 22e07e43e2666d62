#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes hand-made sFlow v4 and v2 datagrams (RFC 3176) as payload files for flowsend.

    sflow_v2v4.py OUTDIR

OUTDIR/v4-flows.bin and v2-flows.bin: two flow samples each, the first with a sampled
Ethernet header padded on the wire and every extended data type (switch, router, gateway,
user, URL), the second with sampled IPv4 packet data. OUTDIR/v4-counters.bin: three flow
samples with counters samples of every counter block version between them.
"""
import os
import struct
import sys


def u32(*values):
    return b"".join(struct.pack(">I", v) for v in values)


def padded(data):
    return data + b"\0" * (-len(data) % 4)


def frame(extra=b""):
    """Ethernet, IPv4 and TCP headers of a SYN-ACK from 10.0.0.1:1234 to 10.0.0.2:80."""
    tcp = struct.pack(">HHIIBBHHH", 1234, 80, 1, 2, 0x50, 0x12, 100, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0x20, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return eth + ip + tcp + extra


def flow_sample(rate, packet, extended, output=6):
    """A flow sample: packet is (tag, body); extended is [(type, body), ...]."""
    tag, body = packet
    sample = u32(1, 7, 3, rate, 1000, 0, 5, output, tag) + body + u32(len(extended))
    for kind, data in extended:
        sample += u32(kind) + data
    return sample


def header_packet(data):
    return 1, u32(1, 1500, len(data)) + padded(data)


def ipv4_packet():
    return 2, u32(900, 17) + bytes([10, 1, 1, 1, 10, 2, 2, 2]) + u32(53, 5353, 0, 8)


def counters(block, size):
    return u32(2, 9, 3, 20, block) + b"\0" * size


def datagram(version, sequence, samples):
    return u32(version, 1) + bytes([192, 0, 2, 7]) + u32(sequence, 1000, len(samples)) + \
        b"".join(samples)


def main():
    out = sys.argv[1]
    switch = u32(100, 0, 200, 0)
    router = u32(1) + bytes([10, 9, 9, 9]) + u32(24, 16)
    user = u32(5) + padded(b"alice") + u32(0)
    url = u32(1, 3) + padded(b"/xy")
    # v4: path segments, then communities and local preference; v2: one AS list.
    gateway = {4: u32(65000, 64512, 65001, 2, 2, 2, 100, 200, 1, 1, 300, 2, 1, 2, 50),
               2: u32(65000, 64512, 65001, 3, 100, 200, 300)}
    for version in (4, 2):
        extended = [(1, switch), (2, router), (3, gateway[version]), (4, user), (5, url)]
        samples = [flow_sample(400, header_packet(frame(b"\xee")), extended),
                   flow_sample(10, ipv4_packet(), [(1, switch)])]
        with open(os.path.join(out, "v%d-flows.bin" % version), "wb") as f:
            f.write(datagram(version, 10, samples))
    blocks = [(1, 88), (2, 140), (3, 160), (4, 88), (5, 168), (6, 88), (7, 28)]
    samples = [flow_sample(1, header_packet(frame()), [])]
    for block, size in blocks:
        samples += [counters(block, size), flow_sample(2, header_packet(frame()), [])]
    with open(os.path.join(out, "v4-counters.bin"), "wb") as f:
        f.write(datagram(4, 11, samples))


if __name__ == "__main__":
    main()

# SPDX-License-Identifier: BSD-2-Clause
"""Frames of a pcap or pcapng file, for test scripts that count what a capture holds."""
import struct


def frames(path):
    """Yields (link type, captured frame, length on the wire) of every packet."""
    d = open(path, 'rb').read()
    if d[:4] == b'\x0a\x0d\x0d\x0a':
        off, links, e = 0, [], '<'
        while off + 12 <= len(d):
            if d[off:off + 4] == b'\x0a\x0d\x0d\x0a':
                e = '<' if d[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            btype, blen = struct.unpack(e + 'II', d[off:off + 8])
            if btype == 1:
                links.append(struct.unpack(e + 'H', d[off + 8:off + 10])[0])
            elif btype == 6:
                iface, _, _, cap, orig = struct.unpack(e + 'IIIII', d[off + 8:off + 28])
                yield links[iface], d[off + 28:off + 28 + cap], orig
            elif btype == 3:
                orig = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
                yield links[0], d[off + 12:off + blen - 4], orig
            off += blen
        return
    e = '<' if d[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    link = struct.unpack(e + 'I', d[20:24])[0] & 0x0fffffff
    off = 24
    while off + 16 <= len(d):
        cap, orig = struct.unpack(e + 'II', d[off + 8:off + 16])
        yield link, d[off + 16:off + 16 + cap], orig
        off += 16 + cap

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Builds the reference fixtures of tests/unit/wire/corpus_test.cc: replays each corpus group
# (groups.tsv order) to a private nfcapd 1.7.1 on 127.0.0.1, reads the file back with
# `nfdump -o raw` and keeps selected fields of every record in oracle/<group>.tsv.
# Usage: TZ=UTC make_oracle.py [--keep-raw DIR] [GROUP...]   (needs nfcapd, nfdump)
import argparse
import re
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "..", "..", "shared", "corpus")
REPLAY = os.path.join(HERE, "..", "..", "..", "..", "shared", "tools", "replay.py")
FOLDERS = ("netflow5/", "netflow9/", "ipfix/", "raw-payload/netflow5/", "raw-payload/netflow9/",
           "raw-payload/ipfix/")
# Raw payload files are sent as one datagram each. The ipfixcol2 file (68 messages, 200 KB)
# does not fit a datagram and is left out; the two small multi-message files are sent whole,
# as nfcapd would receive them from netcat (it decodes concatenated v5 exports, and only the
# first message of an IPFIX datagram).
MULTI = ("ipfixcol2__example_flows.ipfix",)
# Keys of `nfdump -o raw` kept, in this column order.
KEYS = ["Flags", "Elements", "engine type", "engine ID", "export sysid", "first", "last",
        "proto", "tcp flags", "src port", "dst port", "ICMP", "src tos", "dst tos",
        "in packets", "in bytes", "out packets", "out bytes", "aggr flows", "src addr",
        "dst addr", "input", "output", "src mask", "dst mask", "fwd status", "direction",
        "end reason", "src as", "dst as", "ip next hop", "bgp next hop", "src vlan", "dst vlan",
        "MPLS Lbl  1", "MPLS Lbl  2", "in src mac", "out dst mac", "in dst mac", "out src mac",
        "bgp next as", "bgp prev as", "connect ID", "fw event", "fw ext event", "Event time",
        "src xlt ip", "dst xlt ip", "src xlt port", "dst xlt port", "nat event", "ingress VRF",
        "egress VRF", "obs pointID", "obs domainID", "username"]
# Keys that can appear twice (a record with both an IPv4 and an IPv6 element): all values
# are kept, joined by "|".
MULTI_KEYS = ("src addr", "dst addr", "ip next hop", "bgp next hop")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_raw(text):
    """Records of `nfdump -o raw` as dicts: first token of each value ("6 TCP" -> "6")."""
    records, current = [], None
    for line in text.splitlines():
        if line.startswith("Flow Record"):
            current = {}
            records.append(current)
            continue
        if current is None or " = " not in line:
            continue
        key, _, value = line.partition(" = ")
        key, value = key.strip(), value.strip()
        if key == "Elements":
            value = ",".join(value.partition(":")[2].split())
        else:
            value = value.split()[0] if value else ""
            if re.fullmatch(r"\d+:", value):  # "2: DELETE" -> "2"
                value = value[:-1]
        if key in MULTI_KEYS and key in current:
            current[key] += "|" + value
        elif key not in current:
            current[key] = value
    return records


def run_group(name, files, keep_raw):
    port = free_port()
    with tempfile.TemporaryDirectory() as flowdir:
        proc = subprocess.Popen(["nfcapd", "-w", flowdir, "-b", "127.0.0.1", "-p", str(port),
                                 "-t", "3600", "-I", name], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=dict(os.environ, TZ="UTC"))
        time.sleep(0.5)
        raw = [f for f in files if f.startswith("raw-payload/")]
        paths = [os.path.join(CORPUS, f) for f in files]
        cmd = [sys.executable, REPLAY, "--port", str(port), "--pps", "500"]
        if raw:
            cmd += ["--raw", "--one-exporter"]
        subprocess.run(cmd + paths, check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        out = [os.path.join(flowdir, f) for f in os.listdir(flowdir) if f.startswith("nfcapd.2")]
        text = ""
        for path in sorted(out):
            text += subprocess.run(["nfdump", "-r", path, "-o", "raw"], capture_output=True,
                                   text=True, env=dict(os.environ, TZ="UTC")).stdout
    if keep_raw:
        with open(os.path.join(keep_raw, name + ".raw"), "w") as handle:
            handle.write(text)
            handle.write(err.decode(errors="replace"))
    return parse_raw(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("groups", nargs="*")
    parser.add_argument("--keep-raw")
    args = parser.parse_args()
    groups = {}
    with open(os.path.join(CORPUS, "groups.tsv")) as handle:
        for line in handle:
            group, path = line.rstrip("\n").split("\t")
            if path.startswith(FOLDERS) and os.path.basename(path) not in MULTI:
                groups.setdefault(group, []).append(path)
    outdir = os.path.join(HERE, "oracle")
    os.makedirs(outdir, exist_ok=True)
    for group, files in groups.items():
        if args.groups and group not in args.groups:
            continue
        records = run_group(group, files, args.keep_raw)
        with open(os.path.join(outdir, group + ".tsv"), "w") as handle:
            handle.write("# " + " ".join(files) + "\n")
            handle.write("\t".join(KEYS) + "\n")
            for rec in records:
                handle.write("\t".join(rec.get(k, "-") for k in KEYS) + "\n")
        print(f"{group}: {len(records)} records", file=sys.stderr)


if __name__ == "__main__":
    main()

// SPDX-License-Identifier: BSD-2-Clause
// flowprobe's run loop: capture (live or from a file) into libflow's FlowCache, ended flows
// to NetFlow/IPFIX collectors or into rotating nfdump files. Option parsing is in main.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "flow/probe.h"

namespace flowprobe {

struct Collector {
    std::string host;  // name or numeric address, IPv6 without brackets
    std::string port;
};

struct Options {
    std::string interface;              // -i: live capture
    std::string capture_file;           // -r: pcap or pcapng file
    std::string filter;                 // BPF: -f or trailing arguments
    std::vector<Collector> collectors;  // -n host:port (or the positional form)
    uint16_t version = 5;               // -V 5|9|10
    flow::probe::CacheOptions cache;    // -a, -d, -m, -s
    std::string dir;                    // -l: write nfdump files here
    uint32_t interval_s = 300;          // -t: file rotation
    std::string ident = "flowprobe";    // -I
    flow::Codec codec = flow::Codec::kNone;
    int codec_level = 0;                // -z=NAME:LEVEL
    uint32_t template_every = 20;       // v9/IPFIX: templates every N datagrams ...
    uint32_t template_interval_s = 60;  // ... or after this many seconds
    uint32_t source_id = 0;             // v9 source id / IPFIX domain / v5 engine id
    int snaplen = 256;                  // -S: bytes captured per packet (live)
    bool promiscuous = true;            // -N clears it
    std::string user, group;            // -u, -g
    uint32_t pace_us = 200;             // offline: pause between export datagrams
    int verbose = 0;                    // -v
};

// Set by the signal handlers; the loops poll it.
extern std::atomic<bool> g_stop;

// Runs the probe until g_stop or, with a capture file, its end; every open flow is exported
// before returning. Returns 0 after a clean run, 1 when set-up failed (reason on stderr).
int Run(const Options& options);

}  // namespace flowprobe

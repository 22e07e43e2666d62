// SPDX-License-Identifier: BSD-2-Clause
// The collector loop of flowcapd: datagrams in (from sockets or a capture file), decoded
// flows into rotating nfdump files. Option parsing lives in main.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flow/rotation.h"
#include "flow/wire.h"

namespace flowcapd {

struct Config {
    flow::RotationOptions rotation;
    flow::wire::DecoderOptions decoder;
    std::string bind_host;       // -b; empty = any address
    std::string port = "9995";   // -p
    int family = 0;              // 4 (-4), 6 (-6) or 0 (both)
    int rcvbuf_bytes = 0;        // -B
    std::string capture_file;    // -f: decode a pcap instead of listening
    std::string pid_file;        // -P
    bool daemonize = false;      // -D
    int verbose = 0;             // -v
    bool print_records = false;  // -E
    std::string user, group;     // -u, -g
    std::string exec_command;    // -x
    bool expire = false;         // -e: expire by the directory's .nfstat limits after rotation
};

// Set by the signal handlers; the loops poll them.
extern std::atomic<bool> g_stop;

// Logs a line to stderr (or syslog after daemonizing). `level` follows syslog priorities.
void Log(int level, const std::string& line);
void UseSyslog();

// Runs the collector until g_stop or, with a capture file, until its end. Returns the exit
// code: 0 after a clean shutdown, 1 when set-up failed (the reason is logged).
int RunCollector(const Config& config);

}  // namespace flowcapd

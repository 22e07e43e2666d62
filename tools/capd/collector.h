// SPDX-License-Identifier: BSD-2-Clause
// The collector loop of flowcapd: datagrams in (from sockets or a capture file), decoded
// flows into rotating nfdump files. Option parsing lives in main.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow/rotation.h"
#include "flow/wire.h"
#include "metrics.h"

namespace flowcapd {

// -n ident,IP,dir: datagrams from `address` are stored in `dir` under `ident`.
struct SourceSpec {
    std::string ident;
    flow::wire::Endpoint address;  // port unused
    std::string dir;               // absolute after option parsing
};

// -R host[/port]: every received datagram is sent unchanged to it.
struct RepeaterSpec {
    std::string host;
    std::string port = "9995";
};

inline constexpr size_t kMaxRepeaters = 8;  // as nfcapd
// -M: at most this many exporter directories are created; datagrams from further senders
// are counted and dropped, so spoofed source addresses cannot fill the disk with directories.
inline constexpr size_t kMaxDynamicSources = 1024;

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
    // -n sources; when not empty, `rotation.dir` and `rotation.ident` are unused and
    // datagrams from other addresses are counted and dropped.
    std::vector<SourceSpec> sources;
    std::string dynamic_dir;              // -M: one sub-directory per exporter address
    std::vector<RepeaterSpec> repeaters;  // -R
    std::string stats_file;               // --stats-file: counters rewritten each interval
    bool multicast = false;  // -J: `bind_host` is a multicast group to bind to and join
    // --prometheus ADDR:PORT: counters over HTTP (metrics.h); unset = no endpoint.
    std::optional<PrometheusEndpoint> prometheus;
    std::string metric_socket;        // -m: UNIX socket path; empty = no metric messages
    uint32_t metric_interval_s = 60;  // -i
    // Called once the sockets, the --prometheus endpoint and the first files are ready (-D:
    // the parent then exits 0); not called when start-up fails.
    std::function<void()> on_started;
};

// Set by the signal handlers; the loops poll them. g_report (SIGUSR1) asks for the
// per-exporter counters in the log.
extern std::atomic<bool> g_stop;
extern std::atomic<bool> g_report;

// Logs a line to stderr (or syslog after daemonizing). `level` follows syslog priorities.
void Log(int level, const std::string& line);
void UseSyslog();
// With syslog in use, also writes every line to stderr while `on` (-D: the daemon's
// start-up messages reach the parent through a pipe).
void EchoToStderr(bool on);

// Runs the collector until g_stop or, with a capture file, until its end. Returns the exit
// code: 0 after a clean shutdown, 1 when set-up failed (the reason is logged).
int RunCollector(const Config& config);

}  // namespace flowcapd

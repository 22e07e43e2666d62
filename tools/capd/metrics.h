// SPDX-License-Identifier: BSD-2-Clause
// flowcapd's --prometheus endpoint: a small HTTP/1.0 responder on its own thread that serves
// the collector's counters in Prometheus' text exposition format (version 0.0.4). It never
// reads the counters itself: the decoding thread, which owns them, copies them into a
// MetricsSnapshot when a scrape asks for one. Not for -m (nfcapd's metric socket).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "flow/status.h"
#include "flow/wire.h"

namespace flowcapd {

// --prometheus ADDR:PORT, parsed: a numeric IPv4 address or a bracketed IPv6 one.
struct PrometheusEndpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string text;  // as given, for logs
    bool loopback = false;
};

// Parses `text` ("127.0.0.1:9108", "[::1]:9108"). InvalidArgument naming what is wrong.
flow::Result<PrometheusEndpoint> ParsePrometheusEndpoint(const std::string& text);

// The counters of one flow source (-w, each -n, each -M directory) at one moment.
struct SourceSample {
    std::string ident;
    flow::wire::DecoderCounters decoder;
    uint64_t flows_not_stored = 0;  // flows the writer could not take
    uint64_t files_written = 0;     // files closed under their final name
    uint64_t rotation_errors = 0;   // rotations or closes that failed
    uint64_t held_records = 0;      // records held in memory while no file can be opened
};

// One exporter of one flow source.
struct ExporterSample {
    size_t source = 0;  // index into MetricsSnapshot::sources
    flow::wire::ExporterInfo info;
};

// Everything a scrape shows. Filled by the decoding thread; plain data.
struct MetricsSnapshot {
    uint64_t datagrams_received = 0;  // taken from the sockets (decoded or dropped)
    uint64_t bytes_received = 0;      // UDP payload bytes of the decoded ones
    uint64_t datagrams_dropped = 0;   // dropped because every batch waited for the decoder
    uint64_t unknown_source_datagrams = 0;
    uint64_t queue_batches = 0;  // batches waiting for the decoder right now
    std::vector<SourceSample> sources;
    std::vector<ExporterSample> exporters;
    std::vector<std::pair<std::string, uint64_t>> repeater_failures;  // -R name, send failures
};

// The exposition text of `snapshot` (HELP and TYPE lines, one sample per line).
std::string RenderMetrics(const MetricsSnapshot& snapshot);

// The HTTP side. Thread-safe as documented per member.
//
// Limits that keep a slow or hostile client from holding anything: at most kMaxClients
// connections at once (further ones are closed at once), a request head of at most
// kMaxRequestBytes (else 431), kTimeoutMs from accept to the last byte sent (else the
// connection is closed). The collector's threads never wait for this one.
class MetricsServer {
public:
    static constexpr size_t kMaxClients = 8;
    static constexpr size_t kMaxRequestBytes = 4096;
    static constexpr int kTimeoutMs = 3000;

    // Binds and listens on `endpoint`; IoError naming the address on failure. Call before
    // dropping privileges (a port below 1024 needs them).
    static flow::Result<std::unique_ptr<MetricsServer>> Listen(const PrometheusEndpoint& endpoint);
    // Stops the thread and closes every socket.
    ~MetricsServer();

    // Starts serving on a thread of its own.
    void Start();

    // For the decoding thread: true when a scrape waits for a fresh snapshot. Cheap (one
    // relaxed atomic load), so it may be polled on every loop.
    bool wanted() const { return wanted_.load(std::memory_order_relaxed); }
    // For the decoding thread: hands over a fresh snapshot and wakes the waiting scrape.
    void Publish(MetricsSnapshot snapshot);

private:
    explicit MetricsServer(int fd) : listen_fd_(fd) {}
    struct Client;
    void Serve();
    // Asks the decoding thread for a snapshot and waits up to kSnapshotWaitMs; false when
    // none came (the decoder is stuck or shutting down) and no earlier one exists.
    bool Fetch(MetricsSnapshot* out);
    std::string Respond(const std::string& head);

    static constexpr int kSnapshotWaitMs = 2000;
    static constexpr int kDrainMs = 1000;  // reading away after the answer, at most

    int listen_fd_ = -1;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> wanted_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    uint64_t generation_ = 0;  // snapshots published so far; guarded by mu_
    MetricsSnapshot latest_;   // guarded by mu_
};

}  // namespace flowcapd

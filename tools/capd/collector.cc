// SPDX-License-Identifier: BSD-2-Clause
// flowcapd's receive loop: UDP sockets or a capture file feed a Router, which hands each
// datagram to the Sink of its flow source (one, or one per -n/-M source); a Sink is a
// Decoder whose flows go into a RotatingWriter. -R repeaters get every datagram unchanged.
#include "collector.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "flow/expire.h"
#include "flow/pcap_source.h"
#include "metric_socket.h"

namespace flowcapd {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_report{false};

namespace {

bool g_syslog = false;
std::atomic<bool> g_echo_stderr{false};

uint64_t NowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

uint64_t MonotonicUs() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

flow::ExporterInfo ToFileExporter(const flow::wire::ExporterInfo& e) {
    flow::ExporterInfo out;
    out.sysid = e.sysid;
    out.version = e.version;
    out.ip = e.address.addr;
    out.is_v6 = e.address.v6;
    out.id = e.id;
    return out;
}

flow::SamplerInfo ToFileSampler(const flow::wire::SamplerInfo& s) {
    flow::SamplerInfo out;
    out.exporter_sysid = s.exporter_sysid;
    out.algorithm = s.algorithm;
    out.id = s.id;
    out.packet_interval = s.packet_interval;
    out.space_interval = s.space_interval;
    return out;
}

// Runs the -x command without a shell: the command is split into words at blanks first,
// then the tokens in each word are expanded, so a directory or ident holding blanks or shell
// characters stays inside its one argument.
void Launch(const Config& config, const flow::RotationOptions& rotation,
            const std::string& final_path, uint64_t slot_start_s) {
    if (config.exec_command.empty()) return;
    std::string rel = final_path.substr(rotation.dir.size() + 1);
    std::string name = rel.substr(rel.rfind('/') + 1);
    auto expand = [&](const std::string& word) {
        std::string out;
        for (size_t i = 0; i < word.size(); ++i) {
            if (word[i] != '%' || i + 1 == word.size()) {
                out += word[i];
                continue;
            }
            char t = word[++i];
            if (t == 'f')
                out += rel;
            else if (t == 'd')
                out += rotation.dir;
            else if (t == 't')
                out += name.substr(7);
            else if (t == 'u')
                out += std::to_string(slot_start_s);
            else if (t == 'i')
                out += rotation.ident;
            else {
                Log(LOG_WARNING, std::string("Unknown format token '%") + t + "'");
                out += '%';
                out += t;
            }
        }
        return out;
    };
    const std::string& cmd = config.exec_command;
    std::vector<std::string> words;
    size_t pos = 0;
    while (pos < cmd.size()) {
        size_t start = cmd.find_first_not_of(" \t", pos);
        if (start == std::string::npos) break;
        size_t end = cmd.find_first_of(" \t", start);
        if (end == std::string::npos) end = cmd.size();
        words.push_back(expand(cmd.substr(start, end - start)));
        pos = end;
    }
    if (words.empty()) return;
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    // posix_spawnp reports a command that cannot be run (not found, not executable) to this
    // process, where it is logged at every rotation; a forked child could only exit. The
    // child gets no blocked signals, and SIGPIPE and SIGCHLD back at their defaults
    // (flowcapd ignores both; an ignored SIGCHLD would make the command's own wait fail).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigset_t defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0], nullptr, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        Log(LOG_ERR, "-x: cannot run '" + words[0] + "': " + std::strerror(rc));
    }
}

// Runs expiry (-e) off the receive thread: it scans the whole tree and holds the .nfstat
// lock meanwhile. One run at a time; a rotation during a run just asks for another.
class Expirer {
public:
    explicit Expirer(const std::string& dir) : dir_(dir) {}
    ~Expirer() { Wait(); }

    void Request() {
        if (running_) {
            again_ = true;
            return;
        }
        Wait();
        running_ = true;
        worker_ = std::thread([this] {
            do {
                again_ = false;
                Run();
            } while (again_);
            running_ = false;
        });
    }

    void Wait() {
        if (worker_.joinable()) worker_.join();
    }

private:
    void Run() {
        Log(LOG_INFO, "Run expire on '" + dir_ + "'");
        auto report = flow::ExpireDirectory(dir_);
        if (!report.ok()) {
            Log(LOG_ERR, "expire: " + report.status().message());
            return;
        }
        for (const std::string& w : report->warnings) Log(LOG_WARNING, "expire: " + w);
        if (report->files_expired == 0) {
            Log(LOG_INFO, "expire completed - nothing to expire.");
        } else {
            Log(LOG_INFO, "expire completed: " + std::to_string(report->files_expired) +
                              " files, " + std::to_string(report->bytes_expired) +
                              " bytes removed");
        }
    }

    std::string dir_;
    std::thread worker_;
    std::atomic<bool> running_{false};
    std::atomic<bool> again_{false};
};

// Decoder + writer + the bookkeeping between them.
class Sink {
public:
    Sink(const Config& config, flow::RotationOptions rotation)
        : config_(config),
          rotation_(std::move(rotation)),
          decoder_(config.decoder),
          expirer_(rotation_.dir) {}

    flow::Status Start(uint64_t now_s) {
        auto w = flow::RotatingWriter::Open(rotation_, now_s);
        if (!w.ok()) return w.status();
        writer_ = std::move(w.value());
        for (const std::string& line : writer_->recovered()) {
            Log(LOG_INFO, "Recovered the current file of a stopped collector: " + line);
        }
        return flow::Status::Ok();
    }
    bool started() const { return writer_ != nullptr; }

    void Datagram(const uint8_t* data, size_t len, const flow::wire::Endpoint& from,
                  uint64_t now_ms) {
        if (writer_->Due(now_ms / 1000)) Rotate(now_ms / 1000);
        // While a file is open and nothing else reads the flows, they are decoded straight
        // into the file's V3 records; otherwise into FlowRecords (held while no file opens).
        const bool encoded = writer_->has_current() && !config_.print_records;
        flows_.clear();
        encoded_.Clear();
        flow::Status s = encoded ? decoder_.DecodeEncoded(data, len, from, now_ms, &encoded_)
                                 : decoder_.Decode(data, len, from, now_ms, &flows_);
        if (!s.ok()) {
            ++bad_packets_;
            if (config_.verbose > 0) Log(LOG_INFO, from.ToString() + ": " + s.ToString());
        }
        WriteEvents();
        if (encoded) {
            flow::Status first_error;
            const size_t lost = writer_->AppendEncoded(encoded_, &first_error);
            lost_flows_ += lost;
            lost_flows_total_ += lost;
            for (size_t i = 0; i < lost; ++i) WriteError(first_error);
        }
        for (const flow::FlowRecord& rec : flows_) {
            flow::Status a = writer_->Append(rec);
            if (!a.ok()) {
                ++lost_flows_;
                ++lost_flows_total_;
                WriteError(a);
            }
        }
        if (config_.print_records) {
            for (const flow::FlowRecord& rec : flows_) PrintRecord(rec);
        }
    }

    void Tick(uint64_t now_s) {
        if (!writer_) return;
        if (writer_->Due(now_s)) Rotate(now_s);
        if (!writer_->has_current()) {
            // The last file could not be created (full disk, read-only directory): keep
            // receiving and counting, and try again every tick.
            flow::Status s = writer_->Reopen(now_s);
            if (writer_->has_current()) {
                // Opened, possibly with news about the file before (it vanished).
                if (!s.ok()) Log(LOG_WARNING, s.message());
                Log(LOG_INFO, "writing again to " + writer_->current_path());
                write_error_logged_ = false;
            } else {
                WriteError(s);
            }
        }
    }

    int Shutdown() {
        if (!writer_) return 0;
        std::string path;
        uint64_t slot = writer_->slot_start();
        const bool had_file = writer_->has_current();
        flow::Status s = writer_->Close(IntervalStats(), IntervalSequenceFailures(), &path);
        Report(had_file ? writer_->last_closed_stat() : flow::StatRecord());
        if (!s.ok()) {
            ++rotation_errors_;
            Log(LOG_ERR, "closing " + writer_->current_path() + ": " + s.ToString());
            return 1;
        }
        ++files_written_;
        Launch(config_, rotation_, path, slot);
        if (config_.expire) expirer_.Request();
        expirer_.Wait();
        return 0;
    }

    // Appends one line per exporter with its counters since the start (SIGUSR1 and
    // --stats-file), then the totals: every datagram, those no exporter could be tied to
    // (with their errors) and the flows not stored. Not a hot path.
    void AppendCounters(std::vector<std::string>* lines) const {
        for (size_t i = 0; i < decoder_.exporter_count(); ++i) {
            const flow::wire::ExporterInfo& e = decoder_.exporter(i);
            const flow::wire::ExporterCounters& c = e.counters;
            std::string line =
                "ident '" + rotation_.ident + "' exporter " + e.address.ToString() + " version " +
                std::to_string(e.version) + " id " + std::to_string(e.id) + " sysid " +
                std::to_string(e.sysid) + ": packets " + std::to_string(c.packets) + ", flows " +
                std::to_string(c.flows) + ", sequence_failures " +
                std::to_string(c.sequence_failures) + ", no_template_sets " +
                std::to_string(c.no_template_sets) + ", held_sets " + std::to_string(c.held_sets) +
                ", held_sets_decoded " + std::to_string(c.held_sets_decoded) +
                ", templates_learned " + std::to_string(c.templates_learned) + ", option_records " +
                std::to_string(c.option_records);
            AppendErrors(c.errors, &line);
            lines->push_back(line);
        }
        const flow::wire::DecoderCounters& d = decoder_.counters();
        std::string line = "ident '" + rotation_.ident + "' totals: datagrams " +
                           std::to_string(d.datagrams) + ", rejected " +
                           std::to_string(d.rejected) + ", flows_not_stored " +
                           std::to_string(NotStoredTotal());
        AppendErrors(d.errors, &line);
        lines->push_back(line);
    }

    // -m: the flows, bytes and packets by protocol class since the last call, from the
    // writer's stat accounting (so nothing is counted per flow for it): every flow received
    // and handed to a file, stored or cut off with its block on a full disk. False while the
    // source has had no flow yet: nfcapd sends no record for it either.
    bool TakeMetric(MetricRecord* out) {
        if (!writer_) return false;
        const flow::StatRecord now = writer_->accepted_stat();
        if (now.num_flows == 0) return false;
        if (metric_exporter_id_ == 0 && decoder_.exporter_count() > 0) {
            const flow::wire::ExporterInfo& e = decoder_.exporter(0);
            metric_exporter_id_ = uint64_t{e.sysid} << 16 | e.id;
        }
        out->ident = rotation_.ident;
        out->exporter_id = metric_exporter_id_;
        const uint64_t flows[4] = {now.flows_tcp, now.flows_udp, now.flows_icmp, now.flows_other};
        const uint64_t bytes[4] = {now.bytes_tcp, now.bytes_udp, now.bytes_icmp, now.bytes_other};
        const uint64_t packets[4] = {now.packets_tcp, now.packets_udp, now.packets_icmp,
                                     now.packets_other};
        for (size_t k = 0; k < 4; ++k) {
            out->flows[k] = flows[k] - metric_sent_.flows[k];
            out->bytes[k] = bytes[k] - metric_sent_.bytes[k];
            out->packets[k] = packets[k] - metric_sent_.packets[k];
            metric_sent_.flows[k] = flows[k];
            metric_sent_.bytes[k] = bytes[k];
            metric_sent_.packets[k] = packets[k];
        }
        return true;
    }

    // --prometheus: this source's counters and its exporters' into `snap`. Not a hot path.
    void FillMetrics(MetricsSnapshot* snap) const {
        SourceSample src;
        src.ident = rotation_.ident;
        src.decoder = decoder_.counters();
        src.flows_not_stored = NotStoredTotal();
        src.files_written = files_written_;
        src.rotation_errors = rotation_errors_;
        src.held_records = writer_ ? writer_->backlog() : 0;
        snap->sources.push_back(std::move(src));
        for (size_t i = 0; i < decoder_.exporter_count(); ++i) {
            snap->exporters.push_back({snap->sources.size() - 1, decoder_.exporter(i)});
        }
    }

private:
    // ", errors N" and then every non-zero decode error by its stable id.
    static void AppendErrors(const std::array<uint64_t, flow::wire::kDecodeErrorCount>& errors,
                             std::string* line) {
        uint64_t total = 0;
        for (uint64_t n : errors) total += n;
        *line += ", decode_errors " + std::to_string(total);
        for (size_t k = 0; k < errors.size(); ++k) {
            if (errors[k] == 0) continue;
            *line +=
                ", " +
                std::string(flow::wire::DecodeErrorName(static_cast<flow::wire::DecodeError>(k))) +
                " " + std::to_string(errors[k]);
        }
    }

    void WriteEvents() {
        events_.clear();
        decoder_.TakeEvents(&events_);
        for (const flow::wire::DecoderEvent& ev : events_) {
            flow::Status s;
            if (ev.kind == flow::wire::DecoderEvent::Kind::kNewExporter) {
                const flow::wire::ExporterInfo* e = decoder_.FindExporter(ev.sysid);
                if (e == nullptr) continue;
                Log(LOG_INFO, "New exporter: SysID: " + std::to_string(e->sysid) + ", version: " +
                                  std::to_string(e->version) + ", id: " + std::to_string(e->id) +
                                  ", IP: " + e->address.ToString());
                s = writer_->AddExporter(ToFileExporter(*e));
            } else {
                s = writer_->AddSampler(ToFileSampler(decoder_.sampler(ev.sampler_index)));
            }
            if (!s.ok()) WriteError(s);
        }
    }

    std::vector<flow::ExporterStats> IntervalStats() const {
        std::vector<flow::ExporterStats> stats;
        for (size_t i = 0; i < decoder_.exporter_count(); ++i) {
            const flow::wire::ExporterInfo& e = decoder_.exporter(i);
            flow::ExporterStats st;
            st.sysid = e.sysid;
            st.sequence_failures = static_cast<uint32_t>(e.interval.sequence_failures);
            st.packets = e.interval.packets;
            st.flows = e.interval.flows;
            stats.push_back(st);
        }
        return stats;
    }

    uint64_t IntervalSequenceFailures() const {
        uint64_t n = 0;
        for (size_t i = 0; i < decoder_.exporter_count(); ++i) {
            n += decoder_.exporter(i).interval.sequence_failures;
        }
        return n;
    }

    // Flows that are in no file: Append() refused them or their block could not be written.
    uint64_t NotStoredTotal() const {
        return lost_flows_total_ + (writer_ ? writer_->flows_dropped() : 0);
    }

    // The interval's log line, after its file was closed: `st` is that file's stat record,
    // so the flows it names are the flows the file holds and the rest are not stored.
    void Report(const flow::StatRecord& st) {
        const uint64_t dropped = writer_->flows_dropped();
        lost_flows_ += dropped - dropped_reported_;
        dropped_reported_ = dropped;
        Log(LOG_INFO, "Ident: '" + rotation_.ident + "' Flows: " + std::to_string(st.num_flows) +
                          ", Packets: " + std::to_string(st.num_packets) +
                          ", Bytes: " + std::to_string(st.num_bytes) +
                          ", Sequence Errors: " + std::to_string(IntervalSequenceFailures()) +
                          ", Bad Packets: " + std::to_string(bad_packets_) + SflowCounts() +
                          (lost_flows_ ? ", Flows not stored: " + std::to_string(lost_flows_)
                                       : std::string()));
        bad_packets_ = 0;
        lost_flows_ = 0;
    }

    // sFlow samples since the last report, when there were any: counter samples are only
    // counted, so this line is where they show.
    std::string SflowCounts() {
        const flow::wire::DecoderCounters& c = decoder_.counters();
        const uint64_t flows = c.sflow_flow_samples - sflow_flows_reported_;
        const uint64_t counters = c.sflow_counter_samples - sflow_counters_reported_;
        sflow_flows_reported_ = c.sflow_flow_samples;
        sflow_counters_reported_ = c.sflow_counter_samples;
        if (flows == 0 && counters == 0) return std::string();
        return ", sFlow flow samples: " + std::to_string(flows) +
               ", sFlow counter samples: " + std::to_string(counters);
    }

    void Rotate(uint64_t now_s) {
        std::string path;
        uint64_t slot = writer_->slot_start();
        const bool had_file = writer_->has_current();
        flow::Status s = writer_->Rotate(now_s, IntervalStats(), IntervalSequenceFailures(), &path);
        const flow::StatRecord closed = had_file ? writer_->last_closed_stat() : flow::StatRecord();
        Report(closed);
        decoder_.ResetIntervalCounters();
        if (!s.ok()) {
            ++rotation_errors_;
            WriteError(s);
            return;
        }
        ++files_written_;
        write_error_logged_ = false;
        Launch(config_, rotation_, path, slot);
        if (config_.expire) expirer_.Request();
    }

    // Logs the first write failure of a run of failures, not one line per flow.
    void WriteError(const flow::Status& s) {
        ++write_errors_;
        if (write_error_logged_) return;
        write_error_logged_ = true;
        Log(LOG_ERR, "writing " + writer_->current_path() + ": " + s.ToString());
    }

    void PrintRecord(const flow::FlowRecord& r) {
        std::printf("Flow: sysid %u proto %u %u -> %u packets %llu bytes %llu\n", r.exporter_sysid,
                    r.proto, r.src_port, r.dst_port, static_cast<unsigned long long>(r.packets),
                    static_cast<unsigned long long>(r.bytes));
    }

    const Config& config_;
    const flow::RotationOptions rotation_;
    flow::wire::Decoder decoder_;
    std::unique_ptr<flow::RotatingWriter> writer_;
    std::vector<flow::FlowRecord> flows_;
    flow::EncodedFlows encoded_;
    std::vector<flow::wire::DecoderEvent> events_;
    uint64_t sflow_flows_reported_ = 0;
    uint64_t sflow_counters_reported_ = 0;
    Expirer expirer_;
    uint64_t bad_packets_ = 0;
    uint64_t lost_flows_ = 0;  // flows that could not be written in this interval
    uint64_t lost_flows_total_ = 0;
    uint64_t dropped_reported_ = 0;  // writer_->flows_dropped() at the last log line
    uint64_t write_errors_ = 0;
    uint64_t files_written_ = 0;    // for --prometheus
    uint64_t rotation_errors_ = 0;  // for --prometheus
    bool write_error_logged_ = false;
    MetricRecord metric_sent_;  // -m: the totals of the last message
    uint64_t metric_exporter_id_ = 0;
};

// Sends every received datagram unchanged to the -R destinations. A failed send is
// counted and the first of a run logged; collection never waits for a repeater.
class Repeater {
public:
    ~Repeater() {
        for (const Target& t : targets_) ::close(t.fd);
    }

    // Resolves and opens every destination. False (logged) when one cannot be used.
    bool Open(const Config& config) {
        for (const RepeaterSpec& spec : config.repeaters) {
            addrinfo hints{};
            hints.ai_socktype = SOCK_DGRAM;
            hints.ai_flags = AI_NUMERICSERV;
            addrinfo* res = nullptr;
            int rc = ::getaddrinfo(spec.host.c_str(), spec.port.c_str(), &hints, &res);
            if (rc != 0) {
                Log(LOG_ERR, "repeater '" + spec.host + "/" + spec.port +
                                 "': cannot resolve: " + ::gai_strerror(rc));
                return false;
            }
            Target t;
            std::memcpy(&t.addr, res->ai_addr, res->ai_addrlen);
            t.len = res->ai_addrlen;
            ::freeaddrinfo(res);
            t.name = spec.host + "/" + spec.port;
            if (IsLoopback(t.addr) && spec.port == config.port) {
                // Our own port on loopback: every datagram would come back forever.
                // TODO: the same loop through one of this host's other addresses is not
                // detected.
                Log(LOG_ERR, "repeater '" + t.name + "' is this collector's own port");
                return false;
            }
            t.fd = ::socket(t.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (t.fd < 0) {
                Log(LOG_ERR, "repeater '" + t.name + "': socket: " + std::strerror(errno));
                return false;
            }
            Log(LOG_INFO, "Add packet repeater: " + t.name);
            targets_.push_back(t);
        }
        return true;
    }

    // Sends one datagram made of `head` and then `tail` (tail_len may be 0) to every target.
    void Send(const uint8_t* head, size_t head_len, const uint8_t* tail, size_t tail_len) {
        if (targets_.empty()) return;
        iovec parts[2] = {{const_cast<uint8_t*>(head), head_len},
                          {const_cast<uint8_t*>(tail), tail_len}};
        msghdr m{};
        m.msg_iov = parts;
        m.msg_iovlen = tail_len == 0 ? 1 : 2;
        for (Target& t : targets_) {
            m.msg_name = &t.addr;
            m.msg_namelen = t.len;
            if (::sendmsg(t.fd, &m, 0) >= 0) {
                t.failing = false;
                continue;
            }
            // Read by the decoding thread for SIGUSR1 and the stats file.
            std::atomic_ref<uint64_t>(t.failures).fetch_add(1, std::memory_order_relaxed);
            if (t.failing) continue;
            t.failing = true;
            Log(LOG_WARNING, "repeater '" + t.name + "': send failed: " + std::strerror(errno));
        }
    }

    void AppendCounters(std::vector<std::string>* lines) const {
        for (const Target& t : targets_) {
            const uint64_t failures = std::atomic_ref<uint64_t>(const_cast<uint64_t&>(t.failures))
                                          .load(std::memory_order_relaxed);
            lines->push_back("repeater '" + t.name + "': send_failures " +
                             std::to_string(failures));
        }
    }

    void FillMetrics(MetricsSnapshot* snap) const {
        for (const Target& t : targets_) {
            const uint64_t failures = std::atomic_ref<uint64_t>(const_cast<uint64_t&>(t.failures))
                                          .load(std::memory_order_relaxed);
            snap->repeater_failures.emplace_back(t.name, failures);
        }
    }

private:
    struct Target {
        int fd = -1;
        sockaddr_storage addr{};
        socklen_t len = 0;
        std::string name;
        alignas(8) uint64_t failures = 0;
        bool failing = false;
    };

    static bool IsLoopback(const sockaddr_storage& a) {
        if (a.ss_family == AF_INET) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
            return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
        }
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }

    std::vector<Target> targets_;
};

// Picks the Sink of a datagram's flow source: the only one (-w), the -n source of its
// address, or the -M source of its address (created on first sight). Datagrams of other
// senders are counted and dropped.
class Router {
public:
    explicit Router(const Config& config) : config_(config) {
        if (!config.sources.empty()) {
            for (const SourceSpec& src : config.sources) {
                flow::RotationOptions r = config.rotation;
                r.dir = src.dir;
                r.ident = src.ident;
                sinks_.push_back(std::make_unique<Sink>(config, r));
                static_addresses_.push_back(src.address);
            }
        } else if (config.dynamic_dir.empty()) {
            sinks_.push_back(std::make_unique<Sink>(config, config.rotation));
        }
    }

    // Opens the files of the configured sources (-M sources open on first sight).
    flow::Status Start(uint64_t now_s) {
        started_ = true;
        for (auto& sink : sinks_) {
            flow::Status s = sink->Start(now_s);
            if (!s.ok()) return s;
        }
        return flow::Status::Ok();
    }
    bool started() const { return started_; }

    void Datagram(const uint8_t* data, size_t len, const flow::wire::Endpoint& from,
                  uint64_t now_ms) {
        Sink* sink = Find(from, now_ms);
        if (sink != nullptr) sink->Datagram(data, len, from, now_ms);
    }

    void Tick(uint64_t now_s) {
        for (auto& sink : sinks_) sink->Tick(now_s);
        if (!config_.stats_file.empty() && now_s >= stats_due_s_) {
            WriteStatsFile(now_s);
            stats_due_s_ =
                flow::SlotStart(now_s, config_.rotation.interval_s) + config_.rotation.interval_s;
        }
    }

    int Shutdown(uint64_t now_s) {
        int rc = 0;
        for (auto& sink : sinks_) rc = std::max(rc, sink->Shutdown());
        if (unknown_datagrams_ > 0) {
            Log(LOG_INFO, "Datagrams from unknown flow sources dropped: " +
                              std::to_string(unknown_datagrams_));
        }
        if (!config_.stats_file.empty()) WriteStatsFile(now_s);
        return rc;
    }

    void set_repeater(const Repeater* repeater) { repeater_ = repeater; }

    // -m: one record per source that has had flows, newest source first (nfcapd's order).
    void TakeMetrics(std::vector<MetricRecord>* out) {
        for (auto& sink : sinks_) {
            MetricRecord r;
            if (!sink->TakeMetric(&r)) continue;
            if (std::find(metric_order_.begin(), metric_order_.end(), sink.get()) ==
                metric_order_.end()) {
                metric_order_.insert(metric_order_.begin(), sink.get());
            }
            pending_metrics_[sink.get()] = std::move(r);
        }
        for (Sink* sink : metric_order_) out->push_back(std::move(pending_metrics_[sink]));
        pending_metrics_.clear();
    }

    // --prometheus: the counters of every source, exporter and repeater into `snap`.
    void FillMetrics(MetricsSnapshot* snap) const {
        for (const auto& sink : sinks_) sink->FillMetrics(snap);
        snap->unknown_source_datagrams = unknown_datagrams_;
        if (repeater_ != nullptr) repeater_->FillMetrics(snap);
    }

    // The SIGUSR1 report: every counter line in the log.
    void LogCounters() const {
        for (const std::string& line : CounterLines()) Log(LOG_INFO, "counters: " + line);
    }

private:
    Sink* Find(const flow::wire::Endpoint& from, uint64_t now_ms) {
        if (config_.sources.empty() && config_.dynamic_dir.empty()) return sinks_[0].get();
        if (!config_.sources.empty()) {
            for (size_t i = 0; i < static_addresses_.size(); ++i) {
                if (static_addresses_[i].addr == from.addr && static_addresses_[i].v6 == from.v6) {
                    return sinks_[i].get();
                }
            }
            Unknown(from);
            return nullptr;
        }
        auto it = dynamic_.find({from.v6, from.addr});
        if (it != dynamic_.end()) {
            if (it->second == nullptr) ++unknown_datagrams_;
            return it->second;
        }
        return AddDynamic(from, now_ms);
    }

    void Unknown(const flow::wire::Endpoint& from) {
        ++unknown_datagrams_;
        // The first few in full, then only the count (at SIGUSR1 and at shutdown).
        if (unknown_datagrams_ <= 5) {
            Log(LOG_WARNING, "Unknown flow source: '" + from.ToString() + "': datagram dropped" +
                                 (unknown_datagrams_ == 5 ? " (further ones only counted)" : ""));
        }
    }

    // -M: a directory named after the address, '.' and ':' replaced by '-', as nfcapd.
    Sink* AddDynamic(const flow::wire::Endpoint& from, uint64_t now_ms) {
        const auto key = std::make_pair(from.v6, from.addr);
        if (dynamic_.size() >= kMaxDynamicSources) {
            Unknown(from);
            return nullptr;
        }
        std::string name = from.ToString();
        for (char& c : name) {
            if (c == '.' || c == ':') c = '-';
        }
        flow::RotationOptions r = config_.rotation;
        r.dir = config_.dynamic_dir + "/" + name;
        r.ident = name;
        if (::mkdir(r.dir.c_str(), 0755) != 0 && errno != EEXIST) {
            Log(LOG_ERR, "cannot create directory '" + r.dir + "': " + std::strerror(errno) +
                             "; datagrams from " + from.ToString() + " are dropped");
            dynamic_[key] = nullptr;
            return nullptr;
        }
        auto sink = std::make_unique<Sink>(config_, r);
        flow::Status s = sink->Start(now_ms / 1000);
        if (!s.ok()) {
            Log(LOG_ERR, "flow source " + from.ToString() + ": " + s.message() +
                             "; its datagrams are dropped");
            dynamic_[key] = nullptr;
            return nullptr;
        }
        Log(LOG_INFO, "Dynamically add source ident: " + name + " in directory: " + r.dir);
        Sink* raw = sink.get();
        sinks_.push_back(std::move(sink));
        dynamic_[key] = raw;
        return raw;
    }

    std::vector<std::string> CounterLines() const {
        std::vector<std::string> lines;
        for (const auto& sink : sinks_) sink->AppendCounters(&lines);
        lines.push_back("unknown_source_datagrams " + std::to_string(unknown_datagrams_));
        if (repeater_ != nullptr) repeater_->AppendCounters(&lines);
        return lines;
    }

    // Rewritten whole through a temporary file, so a reader never sees half of it.
    void WriteStatsFile(uint64_t now_s) const {
        std::string text = "# flowcapd counters at " + std::to_string(now_s) + "\n";
        for (const std::string& line : CounterLines()) text += line + "\n";
        const std::string tmp = config_.stats_file + ".tmp";
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        bool ok =
            fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (fd >= 0 && ::close(fd) != 0) ok = false;
        if (ok && ::rename(tmp.c_str(), config_.stats_file.c_str()) == 0) {
            stats_error_logged_ = false;
            return;
        }
        if (!stats_error_logged_) {
            Log(LOG_ERR,
                "cannot write stats file '" + config_.stats_file + "': " + std::strerror(errno));
        }
        stats_error_logged_ = true;
        ::unlink(tmp.c_str());
    }

    const Config& config_;
    std::vector<std::unique_ptr<Sink>> sinks_;
    std::vector<flow::wire::Endpoint> static_addresses_;      // -n: sinks_[i] takes these
    std::map<std::pair<bool, flow::IpAddr>, Sink*> dynamic_;  // -M; nullptr = failed
    const Repeater* repeater_ = nullptr;
    uint64_t unknown_datagrams_ = 0;
    uint64_t stats_due_s_ = 0;
    mutable bool stats_error_logged_ = false;
    bool started_ = false;
    std::vector<Sink*> metric_order_;  // -m: sources in the order their records go out
    std::map<Sink*, MetricRecord> pending_metrics_;
};

int RunCapture(const Config& config) {
    auto reader = flow::wire::PcapUdpReader::Open(config.capture_file);
    if (!reader.ok()) {
        Log(LOG_ERR, reader.status().message());
        return 1;
    }
    Router router(config);
    flow::wire::UdpDatagram d;
    uint64_t datagrams = 0;
    uint64_t last_ms = 0;
    while (!g_stop) {
        if (g_report.exchange(false)) router.LogCounters();
        flow::Result<bool> more = (*reader)->Next(&d);
        if (!more.ok()) {
            Log(LOG_ERR, config.capture_file + ": " + more.status().message());
            break;
        }
        if (!*more) break;
        if (!router.started()) {
            flow::Status s = router.Start(d.timestamp_ms / 1000);
            if (!s.ok()) {
                Log(LOG_ERR, s.message());
                return 1;
            }
        }
        router.Datagram(d.payload, d.length, d.source, d.timestamp_ms);
        last_ms = d.timestamp_ms;
        ++datagrams;
    }
    const flow::wire::PcapCounters& c = (*reader)->counters();
    Log(LOG_INFO, config.capture_file + ": " + std::to_string(c.frames) + " frames, " +
                      std::to_string(datagrams) + " UDP datagrams decoded, " +
                      std::to_string(c.not_udp + c.not_ip) + " not UDP, " +
                      std::to_string(c.fragments) + " fragments skipped");
    return router.Shutdown(last_ms / 1000);
}

// -J: joins the group the socket is bound to, on the interface the kernel picks for it.
bool JoinGroup(int fd, const addrinfo* ai) {
    int rc = 0;
    if (ai->ai_family == AF_INET) {
        ip_mreq req{};
        req.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr;
        req.imr_interface.s_addr = htonl(INADDR_ANY);
        rc = ::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &req, sizeof(req));
    } else {
        ipv6_mreq req{};
        req.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
        req.ipv6mr_interface = 0;
        rc = ::setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &req, sizeof(req));
    }
    if (rc == 0) return true;
    Log(LOG_ERR, std::string("cannot join multicast group: ") + std::strerror(errno));
    return false;
}

// The receive buffer flowcapd asks for without -B: 8 MiB (16 MiB as the kernel counts it)
// holds about 7,000 datagrams of 1,400 bytes on loopback (about 2.3 KiB charged each), a third
// of a second at 400,000 flows/s, and lets the receiving thread nap longer (RunSockets). The
// kernel caps SO_RCVBUF at net.core.rmem_max (often 208 KiB or 4 MiB); a process allowed to
// (CAP_NET_ADMIN, e.g. root before -u) goes past it with SO_RCVBUFFORCE. Memory is charged
// only for datagrams waiting in the buffer.
constexpr int kDefaultRcvbuf = 8 << 20;

// Asks for a receive buffer of `bytes`, past rmem_max when allowed. The kernel doubles the
// value for its bookkeeping, so getsockopt reports twice what was granted.
void SetReceiveBuffer(int fd, int bytes) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
    int got = 0;
    socklen_t len = sizeof(got);
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got / 2 >= bytes) return;
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0) return;
    len = sizeof(got);
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0) return;
    Log(LOG_INFO, "socket receive buffer: asked for " + std::to_string(bytes) + " bytes, got " +
                      std::to_string(got / 2) + " (net.core.rmem_max)");
}

std::vector<int> OpenSockets(const Config& config) {
    std::vector<int> fds;
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    hints.ai_family = config.family == 4 ? AF_INET : config.family == 6 ? AF_INET6 : AF_UNSPEC;
    const char* host = config.bind_host.empty() ? nullptr : config.bind_host.c_str();
    if (host == nullptr && config.family == 0) hints.ai_family = AF_INET6;  // dual stack
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host, config.port.c_str(), &hints, &res);
    if (rc != 0 && host == nullptr && config.family == 0) {
        hints.ai_family = AF_INET;  // no IPv6 on this host
        rc = ::getaddrinfo(host, config.port.c_str(), &hints, &res);
    }
    if (rc != 0) {
        Log(LOG_ERR, "cannot resolve '" + config.bind_host + "' port " + config.port + ": " +
                         ::gai_strerror(rc));
        return fds;
    }
    for (addrinfo* ai = res; ai != nullptr && fds.empty(); ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        if (ai->ai_family == AF_INET6) {
            int v6only = config.family == 6 || host != nullptr ? 1 : 0;
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
        }
        SetReceiveBuffer(fd, config.rcvbuf_bytes > 0 ? config.rcvbuf_bytes : kDefaultRcvbuf);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            Log(LOG_ERR, "bind to " + (config.bind_host.empty() ? "any" : config.bind_host) +
                             " port " + config.port + ": " + std::strerror(errno));
            ::close(fd);
            continue;
        }
        if (config.multicast && !JoinGroup(fd, ai)) {
            ::close(fd);
            continue;
        }
        char hbuf[NI_MAXHOST];
        ::getnameinfo(ai->ai_addr, ai->ai_addrlen, hbuf, sizeof(hbuf), nullptr, 0, NI_NUMERICHOST);
        Log(LOG_INFO, std::string("Bound to ") + (ai->ai_family == AF_INET6 ? "IPv6" : "IPv4") +
                          " host/IP: " + (host ? hbuf : "any") + ", Port: " + config.port);
        fds.push_back(fd);
    }
    ::freeaddrinfo(res);
    return fds;
}

bool DropPrivileges(const Config& config) {
    if (!config.group.empty()) {
        group* g = ::getgrnam(config.group.c_str());
        if (g == nullptr || ::setgid(g->gr_gid) != 0) {
            Log(LOG_ERR, "cannot change group to '" + config.group + "'");
            return false;
        }
    }
    if (!config.user.empty()) {
        passwd* p = ::getpwnam(config.user.c_str());
        if (p == nullptr) {
            Log(LOG_ERR, "unknown user '" + config.user + "'");
            return false;
        }
        if (config.group.empty() && ::setgid(p->pw_gid) != 0) return false;
        if (::initgroups(p->pw_name, p->pw_gid) != 0 || ::setuid(p->pw_uid) != 0) {
            Log(LOG_ERR, "cannot change user to '" + config.user + "': " + std::strerror(errno));
            return false;
        }
    }
    return true;
}

// Datagrams received and not yet decoded, in one buffer that recvmmsg writes into (RunSockets):
// each datagram lies at `entries[k].offset`, with unused bytes between some of them. The
// buffer is left uninitialised, so a batch only counts in RSS once datagrams have filled it.
struct Batch {
    static constexpr size_t kBytes = 1 << 20;
    struct Entry {
        size_t offset;
        size_t length;
        flow::wire::Endpoint from;
        uint64_t received_ms;
    };
    std::unique_ptr<uint8_t[]> data{new uint8_t[kBytes]};
    size_t used = 0;   // `data[0, used)` holds the datagrams and the gaps between them
    size_t bytes = 0;  // the datagrams' lengths summed
    std::vector<Entry> entries;

    Batch() { entries.reserve(4096); }
    size_t room() const { return kBytes - used; }
    // Records the datagram of `len` bytes at `offset`, which the caller has written.
    void Add(size_t offset, size_t len, const flow::wire::Endpoint& from, uint64_t ms) {
        assert(offset + len <= kBytes);
        entries.push_back({offset, len, from, ms});
        bytes += len;
    }
    void Clear() {
        used = 0;
        bytes = 0;
        entries.clear();
    }
};

// The batches between the receiving and the decoding thread: kBatches in all (32 MiB), each
// either free, being filled, or queued for the worker.
class BatchQueue {
public:
    static constexpr size_t kBatches = 32;

    BatchQueue() {
        for (size_t i = 0; i < kBatches; ++i) {
            pool_.push_back(std::make_unique<Batch>());
            free_.push_back(pool_.back().get());
        }
    }
    // A free batch, or nullptr when all are full.
    Batch* Take() {
        std::lock_guard<std::mutex> lock(mu_);
        if (free_.empty()) return nullptr;
        Batch* b = free_.back();
        free_.pop_back();
        return b;
    }
    void Push(Batch* b) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            full_.push_back(b);
        }
        cv_.notify_one();
    }
    // Waits up to `wait` for a full batch. False when none came (or the queue is closed and
    // empty).
    bool Pop(Batch** out, std::chrono::milliseconds wait) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, wait, [&] { return !full_.empty() || closed_; });
        if (full_.empty()) return false;
        *out = full_.front();
        full_.pop_front();
        return true;
    }
    void Recycle(Batch* b) {
        b->Clear();
        std::lock_guard<std::mutex> lock(mu_);
        free_.push_back(b);
    }
    void Close() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            closed_ = true;
        }
        cv_.notify_all();
    }
    // True once Close() was called and every batch pushed before it was popped.
    bool Finished() {
        std::lock_guard<std::mutex> lock(mu_);
        return closed_ && full_.empty();
    }
    void CountDropped(uint64_t n) { dropped_ += n; }
    size_t queued() {
        std::lock_guard<std::mutex> lock(mu_);
        return full_.size();
    }
    uint64_t dropped() const { return dropped_; }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Batch>> pool_;
    std::vector<Batch*> free_;
    std::deque<Batch*> full_;
    bool closed_ = false;
    std::atomic<uint64_t> dropped_{0};
};

int RunSockets(const Config& config) {
    std::vector<int> fds = OpenSockets(config);
    if (fds.empty()) return 1;
    std::unique_ptr<MetricsServer> metrics;
    if (config.prometheus) {
        auto m = MetricsServer::Listen(*config.prometheus);
        if (!m.ok()) {
            Log(LOG_ERR, m.status().message());
            return 1;
        }
        metrics = std::move(m.value());
    }
    if (!DropPrivileges(config)) return 1;

    Repeater repeater;
    if (!repeater.Open(config)) return 1;
    Router router(config);
    router.set_repeater(&repeater);
    flow::Status s = router.Start(NowMs() / 1000);
    if (!s.ok()) {
        Log(LOG_ERR, s.message());
        return 1;
    }
    if (metrics != nullptr) {
        metrics->Start();
        Log(LOG_INFO, "Prometheus metrics on http://" + config.prometheus->text + "/metrics");
    }
    Log(LOG_INFO, "Startup flowcapd.");
    if (config.on_started) config.on_started();

    // Two threads: this one receives (recvmmsg into a batch buffer, repeats each datagram
    // at once) and hands full batches to the worker, which decodes, writes, rotates and
    // expires. A bounded pool of batches sits between them; when the worker falls behind
    // and every batch is full, datagrams are counted as dropped, as the kernel would drop
    // them from a full socket buffer.
    BatchQueue queue;
    uint64_t decoded_datagrams = 0;  // owned by the worker, for --prometheus
    uint64_t decoded_bytes = 0;
    // -m: a message at every multiple of the metric interval (wall clock), from the worker,
    // which owns the counters; sending never blocks.
    std::optional<MetricSocket> metric_socket;
    const uint64_t start_ms = NowMs();
    const uint64_t metric_ms = uint64_t{config.metric_interval_s} * 1000;
    uint64_t metric_due_ms = metric_ms == 0 ? 0 : (start_ms / metric_ms + 1) * metric_ms;
    if (!config.metric_socket.empty()) {
        metric_socket.emplace(config.metric_socket);
        if (metric_socket->Probe()) {
            Log(LOG_INFO, "Metric socket '" + config.metric_socket + "', every " +
                              std::to_string(config.metric_interval_s) + " s");
        }
    }
    std::thread worker([&] {
        Batch* batch = nullptr;
        for (;;) {
            const bool more = queue.Pop(&batch, std::chrono::milliseconds(500));
            uint64_t now_ms = NowMs();
            if (g_report.exchange(false)) {
                router.LogCounters();
                uint64_t dropped = queue.dropped();
                if (dropped != 0) {
                    Log(LOG_INFO, "counters: datagrams dropped while the decoder was busy: " +
                                      std::to_string(dropped));
                }
            }
            if (metric_socket && now_ms >= metric_due_ms) {
                std::vector<MetricRecord> records;
                router.TakeMetrics(&records);
                // Stamped with the boundary, as nfcapd does, not the moment of sending.
                if (!records.empty()) {
                    metric_socket->Send(EncodeMetricMessages(
                        records, static_cast<uint16_t>(config.metric_interval_s), metric_due_ms,
                        (metric_due_ms - start_ms) / 1000));
                }
                metric_due_ms = (now_ms / metric_ms + 1) * metric_ms;
            }
            if (metrics != nullptr && metrics->wanted()) {
                MetricsSnapshot snap;
                router.FillMetrics(&snap);
                snap.datagrams_dropped = queue.dropped();
                snap.datagrams_received = decoded_datagrams + snap.datagrams_dropped;
                snap.bytes_received = decoded_bytes;
                snap.queue_batches = queue.queued();
                metrics->Publish(std::move(snap));
            }
            if (batch != nullptr) {
                decoded_datagrams += batch->entries.size();
                decoded_bytes += batch->bytes;
                for (const Batch::Entry& e : batch->entries) {
                    router.Datagram(batch->data.get() + e.offset, e.length, e.from, e.received_ms);
                }
                queue.Recycle(batch);
                batch = nullptr;
            }
            router.Tick(now_ms / 1000);
            if (!more && queue.Finished()) break;
        }
    });

    // recvmmsg writes each datagram straight into the filling batch, where the worker decodes
    // it: message i's first iovec is slot i of `slot` bytes in the batch's free space, its
    // second an overflow area of its own for the bytes past the slot. A datagram that fits its
    // slot is left where it landed, and the unused end of the slot stays in the batch as a gap.
    // A longer one is assembled from both parts after the call's last slot (a copy, as every
    // datagram had before). The two parts hold 64 KiB, more than any UDP payload (65,507 bytes
    // over IPv4, 65,527 over IPv6), so the kernel never truncates one (MSG_TRUNC).
    constexpr int kRecv = 32;
    constexpr size_t kMaxDatagram = 65536;
    // The slot follows the datagrams: the longest of the last kSlotWindow datagrams, rounded up
    // to 64 bytes, within [kMinSlot, kMaxSlot]; it grows as soon as a longer one comes and
    // shrinks at the end of a window. A slot close to the datagrams' size keeps the gaps small,
    // so the 32 MiB of batches hold about as many datagrams as copied back to back (a fixed
    // 2 KiB slot would hold only 64 datagrams of 100 bytes where 1,300 fit before). It starts
    // at 1536 bytes, enough for any datagram of a 1500-byte MTU.
    // TODO: datagrams longer than kMaxSlot (IPFIX over UDP, jumbo frames) are always copied,
    // and a mix of short and long datagrams leaves gaps after the short ones.
    constexpr size_t kMinSlot = 128;
    constexpr size_t kMaxSlot = 16384;
    constexpr size_t kSlotWindow = 4096;
    static_assert(kMaxSlot * kRecv <= Batch::kBytes);
    auto fit_slot = [&](size_t len) {
        return std::clamp<size_t>((len + 63) & ~size_t{63}, kMinSlot, kMaxSlot);
    };
    size_t slot = 1536;
    size_t window_longest = 0;
    size_t window_datagrams = 0;
    // Left uninitialised, so that neither counts in RSS until used: the overflow areas take
    // the datagrams longer than their slot, the scratch slots those received while every
    // batch waits for the worker.
    std::unique_ptr<uint8_t[]> overflow(new uint8_t[kRecv * kMaxDatagram]);
    std::unique_ptr<uint8_t[]> scratch(new uint8_t[kRecv * kMaxSlot]);
    mmsghdr msgs[kRecv];
    iovec iovs[kRecv][2];
    sockaddr_storage addrs[kRecv];
    // SO_RXQ_OVFL: the socket's count of datagrams the kernel dropped, on each datagram;
    // SO_TIMESTAMP: the time each datagram arrived, so that a datagram read after a nap
    // (below) carries its arrival time, not the time it was read.
    struct alignas(cmsghdr) Control {
        char bytes[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(timeval))];
    };
    Control controls[kRecv];
    for (int i = 0; i < kRecv; ++i) {
        iovs[i][1].iov_base = overflow.get() + i * kMaxDatagram;
        msgs[i].msg_hdr = {};
        msgs[i].msg_hdr.msg_iov = iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 2;
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_control = controls[i].bytes;
    }
    uint32_t kernel_drops = 0;  // the last SO_RXQ_OVFL count seen
    Batch* filling = nullptr;
    uint64_t batch_started_ms = 0;
    int asked = 0;               // messages the last recvmmsg call offered room for
    std::vector<Batch*> spills;  // batches taken within one call for assembled datagrams
    bool warned_truncated = false;
    // The nap's cycle (see the loop below): the datagrams received since the last nap
    // decision, and the arrival times (SO_TIMESTAMP, microseconds of the wall clock) of its
    // first and last. A gap of more than kMaxNapUs between two arrivals starts a new cycle.
    constexpr uint64_t kMaxNapUs = 50000;
    size_t cycle_datagrams = 0;
    uint64_t cycle_first_us = 0;
    uint64_t cycle_last_us = 0;

    // Receives what one recvmmsg gives into the filling batch; returns the count (<= 0: none).
    auto receive = [&](int fd, int flags) {
        if (filling != nullptr && filling->room() < slot) {
            queue.Push(filling);
            filling = nullptr;
        }
        if (filling == nullptr) filling = queue.Take();
        Batch* const start = filling;  // nullptr: every batch waits for the worker
        const bool start_empty = start == nullptr || start->entries.empty();
        uint8_t* const base = start != nullptr ? start->data.get() + start->used : scratch.get();
        asked = start != nullptr ? static_cast<int>(std::min<size_t>(kRecv, start->room() / slot))
                                 : kRecv;
        for (int i = 0; i < asked; ++i) {
            iovs[i][0] = {base + i * slot, slot};
            iovs[i][1].iov_len = kMaxDatagram - slot;
            msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            msgs[i].msg_hdr.msg_controllen = sizeof(Control);
        }
        const int got = ::recvmmsg(fd, msgs, static_cast<unsigned>(asked), flags, nullptr);
        if (got <= 0) return got;
        const uint64_t now_ms = NowMs();
        // Datagrams assembled in `start` go from `end`, past the data of the last slot.
        size_t end = 0;
        bool in_place = start != nullptr;
        if (in_place) {
            end = start->used + static_cast<size_t>(got - 1) * slot +
                  std::min<size_t>(msgs[got - 1].msg_len, slot);
        }
        spills.clear();
        for (int i = 0; i < got; ++i) {
            uint64_t arrived_us = now_ms * 1000;
            msghdr& h = msgs[i].msg_hdr;
            for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
                if (c->cmsg_level != SOL_SOCKET) continue;
                if (c->cmsg_type == SO_RXQ_OVFL) {
                    std::memcpy(&kernel_drops, CMSG_DATA(c), sizeof(kernel_drops));
                } else if (c->cmsg_type == SCM_TIMESTAMP) {
                    timeval tv;
                    std::memcpy(&tv, CMSG_DATA(c), sizeof(tv));
                    arrived_us = static_cast<uint64_t>(tv.tv_sec) * 1000000 +
                                 static_cast<uint64_t>(tv.tv_usec);
                }
            }
            const uint64_t arrived_ms = arrived_us / 1000;
            if (cycle_datagrams == 0 || arrived_us > cycle_last_us + kMaxNapUs ||
                arrived_us < cycle_last_us) {
                cycle_datagrams = 0;  // a pause, or the wall clock stepped back
                cycle_first_us = arrived_us;
            }
            cycle_last_us = arrived_us;
            ++cycle_datagrams;
            const size_t len = msgs[i].msg_len;
            const size_t tail = len > slot ? len - slot : 0;
            const uint8_t* head = base + i * slot;
            const uint8_t* rest = overflow.get() + i * kMaxDatagram;
            window_longest = std::max(window_longest, len);
            ++window_datagrams;
            repeater.Send(head, len - tail, rest, tail);
            if (h.msg_flags & MSG_TRUNC) {  // cannot happen (see kMaxDatagram); counted if it did
                queue.CountDropped(1);
                if (!warned_truncated) Log(LOG_WARNING, "datagram truncated on receipt: dropped");
                warned_truncated = true;
                continue;
            }
            auto from = flow::wire::Endpoint::FromSockaddr(&addrs[i], h.msg_namelen);
            if (!from.ok()) continue;
            if (in_place && tail == 0) {
                start->Add(static_cast<size_t>(head - start->data.get()), len, *from, arrived_ms);
                continue;
            }
            // Assembled: in `start` while it has room, else in a batch taken for the rest of
            // the call, which then takes every later datagram too, so that the order holds.
            // Those batches are pushed only after the loop: the worker could otherwise free
            // `start` and this loop take it back while later datagrams still sit in its slots.
            Batch* into = nullptr;
            size_t at = 0;
            if (in_place && len <= Batch::kBytes - end) {
                into = start;
                at = end;
                end += len;
            } else {
                in_place = false;
                into = spills.empty() ? nullptr : spills.back();
                if (into == nullptr || into->room() < len) {
                    into = queue.Take();
                    if (into == nullptr) {
                        queue.CountDropped(1);
                        continue;
                    }
                    spills.push_back(into);
                }
                at = into->used;
                into->used += len;
            }
            std::memcpy(into->data.get() + at, head, len - tail);
            std::memcpy(into->data.get() + at + (len - tail), rest, tail);
            into->Add(at, len, *from, arrived_ms);
        }
        if (start != nullptr && !start->entries.empty()) {
            start->used = std::min(Batch::kBytes, (end + 63) & ~size_t{63});
        }
        if (!spills.empty()) {
            if (start != nullptr && !start->entries.empty()) {
                queue.Push(start);
            } else if (start != nullptr) {
                queue.Recycle(start);
            }
            for (size_t k = 0; k + 1 < spills.size(); ++k) queue.Push(spills[k]);
            filling = spills.back();
        }
        if (filling != nullptr && !filling->entries.empty() && (filling != start || start_empty)) {
            batch_started_ms = now_ms;
        }
        if (window_longest > slot || window_datagrams >= kSlotWindow) {
            slot = fit_slot(window_longest);
            if (window_datagrams >= kSlotWindow) window_longest = window_datagrams = 0;
        }
        return got;
    };

    // One socket (always so today) is read by recvmmsg alone: it blocks for the first
    // datagram and takes whatever else is queued, one system call per wake-up instead of
    // poll, recvmmsg and a recvmmsg finding the socket empty. SO_RCVTIMEO bounds the wait,
    // so g_stop and the 200 ms hand-off below are still seen.
    const bool single = fds.size() == 1;
    // At moderate rates every datagram would wake this thread on its own, and the wake-ups
    // cost more CPU than decoding. So when the socket is empty the thread naps before it
    // blocks again, letting the buffer gather datagrams for one wake-up. The nap is sized
    // from the rate at which the datagrams since the last one arrived (their SO_TIMESTAMPs;
    // a pause of over kMaxNapUs starts anew) so that it gathers about `nap_gather` datagrams,
    // an eighth of what the buffer holds at 4 KiB per datagram (the kernel charges about
    // 2.3 KiB for a 1400-byte one on loopback): 512 with the default 8 MiB buffer (the
    // kernel reports 16 MiB), 6 with a 208 KiB one. It lasts at most kMaxNapUs, 50 ms: below
    // about 10,000 datagrams a second a nap gathers fewer than `nap_gather` (a burst of eight
    // times the rate still fits the buffer), and the thread wakes 20 times a second (a wake-up
    // costs some 30 us of CPU; at 10 ms the wake-ups were a sixth of flowcapd's CPU at 50,000
    // flows/s). None is taken when it would be under 0.5 ms. No nap follows a cycle that
    // gathered more than twice `nap_gather` (the rate rose), and none is taken for a second
    // after the kernel reported dropped datagrams (SO_RXQ_OVFL): on a loaded host the thread
    // may wait for a CPU after any wake-up, drops make the rate look lower than it is, and
    // capacity comes before CPU.
    size_t nap_gather = 0;
    if (single) {
        timeval timeout{0, 200000};
        ::setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        const int on = 1;
        ::setsockopt(fds[0], SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
        int rcvbuf = 0;
        socklen_t len = sizeof(rcvbuf);
        if (::getsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) == 0 && rcvbuf > 0) {
            nap_gather = static_cast<size_t>(rcvbuf) / (8 * 4096);
        }
    }
    for (int fd : fds) {
        const int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on));
    }
    std::vector<pollfd> pfds;
    for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
    uint32_t drops_seen = 0;
    uint64_t no_nap_until_us = 0;

    while (!g_stop) {
        const uint64_t now_ms = NowMs();
        // A partly filled batch goes to the worker within 200 ms, so rotation and -x see
        // datagrams at about the time they came in.
        if (filling != nullptr && !filling->entries.empty() && now_ms - batch_started_ms >= 200) {
            queue.Push(filling);
            filling = nullptr;
        }
        if (single) {
            const int got = receive(fds[0], MSG_WAITFORONE);
            if (got <= 0) continue;      // timeout or signal
            if (got == asked) continue;  // perhaps more queued
            // A single datagram gives no rate: the cycle stays open and the thread blocks
            // for the next one.
            if (cycle_datagrams < 2) continue;
            // nap = nap_gather / rate, the rate taken between the arrivals of the cycle's
            // first and last datagram. Measured from the end of the last cycle instead, the
            // time this thread waited on an empty socket counted as a low rate, so the first
            // datagram after any pause brought the longest nap, and the first 50 ms of a
            // burst could overflow the buffer.
            const uint64_t now_us = MonotonicUs();
            const uint64_t nap_us =
                nap_gather * (cycle_last_us - cycle_first_us) / (cycle_datagrams - 1);
            if (kernel_drops != drops_seen) {
                drops_seen = kernel_drops;
                no_nap_until_us = now_us + 1000000;
            }
            const bool backlog = cycle_datagrams > 2 * nap_gather;
            cycle_datagrams = 0;
            if (nap_us >= 500 && !backlog && now_us >= no_nap_until_us) {
                timespec nap{0, static_cast<long>(std::min(nap_us, kMaxNapUs) * 1000)};
                ::nanosleep(&nap, nullptr);
            }
            continue;
        }
        if (::poll(pfds.data(), pfds.size(), 200) <= 0) continue;
        for (pollfd& p : pfds) {
            if (!(p.revents & POLLIN)) continue;
            while (!g_stop) {
                const int got = receive(p.fd, MSG_DONTWAIT);
                if (got < asked) break;  // the socket is empty
            }
        }
    }
    // Stopped by a signal: what the kernel had queued on the sockets by then was received by
    // this host, and is stored with the rest rather than dropped with the sockets (a collector
    // restarted under load would otherwise lose up to a full receive buffer). Read without
    // waiting, for at most a second, so that an exporter that keeps sending cannot hold the
    // shutdown up.
    const uint64_t drain_end_us = MonotonicUs() + 1000000;
    for (int fd : fds) {
        while (MonotonicUs() < drain_end_us && receive(fd, MSG_DONTWAIT) > 0) {
        }
    }
    if (filling != nullptr && !filling->entries.empty()) queue.Push(filling);
    queue.Close();
    worker.join();
    if (queue.dropped() != 0) {
        Log(LOG_WARNING,
            "datagrams dropped while the decoder was busy: " + std::to_string(queue.dropped()));
    }
    int rc = router.Shutdown(NowMs() / 1000);
    for (int fd : fds) ::close(fd);
    Log(LOG_INFO, "Terminating flowcapd.");
    return rc;
}

}  // namespace

void UseSyslog() {
    ::openlog("flowcapd", LOG_PID, LOG_DAEMON);
    g_syslog = true;
}

void EchoToStderr(bool on) { g_echo_stderr = on; }

void Log(int level, const std::string& line) {
    if (g_syslog) {
        ::syslog(level, "%s", line.c_str());
        if (!g_echo_stderr) return;
    }
    std::fprintf(stderr, "%s\n", line.c_str());
}

int RunCollector(const Config& config) {
    return config.capture_file.empty() ? RunSockets(config) : RunCapture(config);
}

}  // namespace flowcapd

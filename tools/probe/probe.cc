// SPDX-License-Identifier: BSD-2-Clause
// The probe loop: libpcap hands frames to ParsePacket, parsed packets go into the
// FlowCache, and ended flows go to one of two sinks: the NetFlow/IPFIX encoder with one
// UDP socket per collector, or a RotatingWriter. Time comes from the packets, so an offline
// run gives the same flows and files every time.
#include "probe.h"

#include <grp.h>
#include <net/if.h>
#include <netdb.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow/exporter.h"
#include "flow/rotation.h"
#include "flow/sample_exporter.h"

namespace flowprobe {

std::atomic<bool> g_stop{false};

namespace {

constexpr uint16_t kSysid = 1;  // the one exporter of files written with -l

uint64_t WallMs() {
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    return static_cast<uint64_t>(tv.tv_sec) * 1000 + static_cast<uint64_t>(tv.tv_usec) / 1000;
}

void Log(const std::string& line) { std::fprintf(stderr, "flowprobe: %s\n", line.c_str()); }

// Ended flows to NetFlow v5/v9/IPFIX collectors over UDP.
class ExportSink : public flow::probe::FlowSink {
public:
    ExportSink(const Options& o, uint64_t boot_ms)
        : options_(o), encoder_(MakeEncoderOptions(o)), boot_ms_(boot_ms) {}
    ~ExportSink() override {
        for (int fd : fds_) ::close(fd);
    }

    // Resolves and connects one UDP socket per collector. False (logged) on failure.
    bool Open() {
        for (const Collector& c : options_.collectors) {
            addrinfo hints{};
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_DGRAM;
            addrinfo* res = nullptr;
            const int rc = ::getaddrinfo(c.host.c_str(), c.port.c_str(), &hints, &res);
            if (rc != 0) {
                Log("collector '" + c.host + ":" + c.port + "': " + ::gai_strerror(rc));
                return false;
            }
            int fd = -1;
            for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
                fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
                if (fd >= 0 && ::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
                    ::close(fd);
                    fd = -1;
                }
            }
            ::freeaddrinfo(res);
            if (fd < 0) {
                Log("collector '" + c.host + ":" + c.port + "': " + std::strerror(errno));
                return false;
            }
            fds_.push_back(fd);
        }
        return true;
    }

    void OnFlow(const flow::FlowRecord& r) override {
        flow::wire::EncodeFlow& f = scratch_;
        f = flow::wire::EncodeFlow();
        f.v6 = r.IsV6();
        r.src_addr.ToBytes(f.src);
        r.dst_addr.ToBytes(f.dst);
        if (!f.v6) {  // IPv4 travels as the last 4 of the 16 bytes; the encoder takes 4
            std::memmove(f.src, f.src + 12, 4);
            std::memmove(f.dst, f.dst + 12, 4);
        }
        f.src_port = r.src_port;
        f.dst_port = r.dst_port;
        f.proto = r.proto;
        f.tcp_flags = r.tcp_flags;
        f.tos = r.src_tos;
        f.packets = r.packets;
        f.bytes = r.bytes;
        f.first_ms = r.first_ms;
        f.last_ms = r.last_ms;
        f.input = r.input;
        f.vlan = static_cast<uint16_t>(r.src_vlan);
        // A merged capture that stepped back in time ends flows whose Last is past the
        // cache's clock: the datagram's header must still be no earlier than that Last.
        now_ms_ = std::max({now_ms_, r.received_ms, r.last_ms});
        if (options_.version != 10 && r.last_ms - boot_ms_ > UINT32_MAX) ++wrapped_;
        if (!open_) Begin();
        if (!encoder_.Add(f)) {
            Send();
            Begin();
            (void)encoder_.Add(f);  // one record always fits an empty datagram
        }
    }

    // Sends the partial datagram, if any (on a timer and at shutdown).
    void Flush(uint64_t now_ms) {
        now_ms_ = std::max(now_ms_, now_ms);
        if (open_ && encoder_.flows() > 0) Send();
    }

    uint64_t datagrams() const { return datagrams_; }
    uint64_t send_errors() const { return send_errors_; }
    uint64_t v6_dropped() const { return encoder_.v6_dropped(); }
    uint64_t wrapped() const { return wrapped_; }

private:
    static flow::wire::EncoderOptions MakeEncoderOptions(const Options& o) {
        flow::wire::EncoderOptions e;
        e.version = o.version;
        e.source_id = o.source_id;
        e.sampling_interval = o.cache.sampling;
        e.sampling_algorithm = 1;  // deterministic: every Nth packet
        e.vlan = true;
        e.icmp_type = true;
        e.template_every = o.template_every;
        e.template_interval_ms = uint64_t{o.template_interval_s} * 1000;
        return e;
    }

    // The header uptime at now_ms_. v9 headers carry whole export seconds: the uptime is
    // taken at the whole second, or a collector's boot time (secs * 1000 - uptime) would be
    // off by the milliseconds.
    uint32_t Uptime() const {
        const uint64_t stamp = options_.version == 9 ? now_ms_ / 1000 * 1000 : now_ms_;
        // TODO: v5/v9 uptimes are 32-bit milliseconds; a probe running (or a capture
        // spanning) more than 49.7 days wraps them and collectors misdate the flows (they
        // are counted in the summary). Restarting the uptime would need a template resend.
        return static_cast<uint32_t>(stamp > boot_ms_ ? stamp - boot_ms_ : 0);
    }

    void Begin() {
        encoder_.Begin(now_ms_, Uptime(), boot_ms_);
        open_ = true;
    }

    void Send() {
        // Stamped when sent, not when begun: records added since carry later Last times
        // (a capture file's datagram fills over minutes of packet time), and v5 collectors
        // take a Last over 100 s past the header's sysUptime for a wrapped uptime and store
        // the flow 2^32 ms too early. now_ms_ is at or after every record's Last.
        encoder_.SetExportTime(now_ms_, Uptime());
        const std::vector<uint8_t>& bytes = encoder_.Finish();
        open_ = false;
        for (int fd : fds_) {
            if (::send(fd, bytes.data(), bytes.size(), 0) < 0) {
                // A collector that is down answers with ICMP unreachable: count, keep going.
                if (send_errors_++ == 0) Log(std::string("send: ") + std::strerror(errno));
            }
        }
        ++datagrams_;
        if (options_.pace_us > 0 && !options_.capture_file.empty()) ::usleep(options_.pace_us);
    }

    const Options& options_;
    flow::wire::FlowEncoder encoder_;
    flow::wire::EncodeFlow scratch_;
    std::vector<int> fds_;
    uint64_t boot_ms_;
    uint64_t now_ms_ = 0;
    bool open_ = false;
    uint64_t datagrams_ = 0;
    uint64_t send_errors_ = 0;
    uint64_t wrapped_ = 0;  // v5/v9 flows more than 2^32 ms after the boot time
};

// Ended flows into nfdump files rotated every -t seconds of packet time. A write error (a
// full disk) is logged once; writing goes on with the next flows, and every flow that did
// not reach a file is counted (not_stored()).
class FileSink : public flow::probe::FlowSink {
public:
    explicit FileSink(const Options& o) : options_(o) {}

    void OnFlow(const flow::FlowRecord& r) override {
        if (!Ready(r.received_ms / 1000)) {
            ++refused_;
            return;
        }
        flow::FlowRecord& rec = scratch_;
        rec = r;
        rec.exporter_sysid = kSysid;
        rec.nfversion = static_cast<uint8_t>(options_.version);
        // Files hold what a collector would store: counters scaled by the sampling rate.
        if (options_.cache.sampling > 1) {
            rec.packets *= options_.cache.sampling;
            rec.bytes *= options_.cache.sampling;
            rec.flags |= flow::kFlagSampled;
        }
        if (Check(writer_->Append(rec))) {
            ++flows_;
        } else {
            ++refused_;  // the writer counts the flows of a block it cut off
        }
    }

    // Rotates when the slot of `now_s` is past the current file's.
    void Tick(uint64_t now_s) {
        if (writer_ && status_.ok() && writer_->Due(now_s)) {
            std::string path;
            Check(writer_->Rotate(now_s, Stats(), 0, &path));
            if (options_.verbose > 0 && !path.empty()) Log("file " + path + " closed");
        }
    }

    // Closes the current file under its final name.
    void Close() {
        if (!writer_) return;
        Check(writer_->Close(Stats(), 0));
        dropped_closed_ = writer_->flows_dropped();
        writer_.reset();
    }

    // The first error met, OK when every flow was stored.
    const flow::Status& status() const { return status_; }
    // Flows not in any file: refused, or in blocks that could not be written.
    uint64_t not_stored() const {
        return refused_ + (writer_ ? writer_->flows_dropped() : dropped_closed_);
    }

private:
    bool Ready(uint64_t now_s) {
        if (!writer_) {
            // A directory where no file can be created is tried again once a second of
            // packet time, not for every flow.
            if (open_failed_s_ && now_s == *open_failed_s_) return false;
            open_failed_s_.reset();
            flow::RotationOptions ro;
            ro.dir = options_.dir;
            ro.ident = options_.ident;
            ro.interval_s = options_.interval_s;
            ro.codec = options_.codec;
            ro.codec_level = options_.codec_level;
            auto w = flow::RotatingWriter::Open(ro, now_s);
            if (!w.ok()) {
                open_failed_s_ = now_s;
                return Check(w.status());
            }
            writer_ = std::move(*w);
            flow::ExporterInfo ex;
            ex.sysid = kSysid;
            ex.version = options_.version;
            ex.id = options_.source_id;
            if (!Check(writer_->AddExporter(ex))) return false;
            if (options_.cache.sampling > 1) {
                flow::SamplerInfo s;
                s.exporter_sysid = kSysid;
                s.algorithm = 1;
                s.packet_interval = 1;
                s.space_interval = options_.cache.sampling - 1;
                if (!Check(writer_->AddSampler(s))) return false;
            }
        }
        Tick(now_s);
        return writer_ != nullptr;
    }

    std::vector<flow::ExporterStats> Stats() {
        std::vector<flow::ExporterStats> stats{{kSysid, 0, 0, flows_}};
        flows_ = 0;
        return stats;
    }

    bool Check(const flow::Status& s) {
        if (s.ok()) return true;
        if (status_.ok()) Log(s.ToString());
        status_ = s;
        return false;
    }

    const Options& options_;
    std::unique_ptr<flow::RotatingWriter> writer_;
    flow::FlowRecord scratch_;
    flow::Status status_;
    uint64_t flows_ = 0;             // stored in the current file, for its exporter stats
    uint64_t refused_ = 0;           // flows the writer did not take
    uint64_t dropped_closed_ = 0;    // flows_dropped() of the writer when it was closed
    std::optional<uint64_t> open_failed_s_;  // packet second of the last failed open
};

bool DropPrivileges(const Options& o) {
    if (!o.group.empty()) {
        group* g = ::getgrnam(o.group.c_str());
        if (g == nullptr || ::setgid(g->gr_gid) != 0) {
            Log("cannot change group to '" + o.group + "'");
            return false;
        }
    }
    if (!o.user.empty()) {
        passwd* p = ::getpwnam(o.user.c_str());
        if (p == nullptr) {
            Log("unknown user '" + o.user + "'");
            return false;
        }
        if ((o.group.empty() && ::setgid(p->pw_gid) != 0) ||
            ::initgroups(p->pw_name, o.group.empty() ? p->pw_gid : ::getgid()) != 0 ||
            ::setuid(p->pw_uid) != 0) {
            Log("cannot change user to '" + o.user + "': " + std::strerror(errno));
            return false;
        }
    }
    return true;
}

// libpcap handle, opened live or offline, with the BPF filter applied.
pcap_t* OpenCapture(const Options& o) {
    char error[PCAP_ERRBUF_SIZE] = {};
    pcap_t* handle = nullptr;
    if (!o.capture_file.empty()) {
        handle = pcap_open_offline(o.capture_file.c_str(), error);
        if (handle == nullptr) {
            Log("cannot read capture '" + o.capture_file + "': " + error);
            return nullptr;
        }
    } else {
        handle = pcap_create(o.interface.c_str(), error);
        if (handle == nullptr) {
            Log("interface '" + o.interface + "': " + error);
            return nullptr;
        }
        pcap_set_snaplen(handle, o.snaplen);
        pcap_set_promisc(handle, o.promiscuous ? 1 : 0);
        pcap_set_timeout(handle, 500);  // ms: lets the loop expire flows while it is quiet
        // Packets are handed over as they come, not in blocks retired by the timeout: the
        // clock stays current and SIGTERM does not strand the last packets in a block.
        pcap_set_immediate_mode(handle, 1);
        const int rc = pcap_activate(handle);
        if (rc < 0) {
            Log("interface '" + o.interface + "': " + pcap_geterr(handle));
            pcap_close(handle);
            return nullptr;
        }
    }
    if (!o.filter.empty()) {
        bpf_program program{};
        if (pcap_compile(handle, &program, o.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
            Log("filter '" + o.filter + "': " + pcap_geterr(handle));
            pcap_close(handle);
            return nullptr;
        }
        const int rc = pcap_setfilter(handle, &program);
        pcap_freecode(&program);
        if (rc != 0) {
            Log("filter '" + o.filter + "': " + pcap_geterr(handle));
            pcap_close(handle);
            return nullptr;
        }
    }
    return handle;
}

uint64_t PacketMs(const pcap_pkthdr* h) {
    return static_cast<uint64_t>(h->ts.tv_sec) * 1000 + static_cast<uint64_t>(h->ts.tv_usec) / 1000;
}

// A first pass over the capture's packet headers. 0 when the file cannot be read (the real
// pass reports why).
uint64_t EarliestPacketMs(const std::string& path) {
    char error[PCAP_ERRBUF_SIZE] = {};
    pcap_t* handle = pcap_open_offline(path.c_str(), error);
    if (handle == nullptr) return 0;
    uint64_t earliest = UINT64_MAX;
    pcap_pkthdr* h = nullptr;
    const u_char* frame = nullptr;
    while (pcap_next_ex(handle, &h, &frame) == 1) earliest = std::min(earliest, PacketMs(h));
    pcap_close(handle);
    return earliest == UINT64_MAX ? 0 : earliest;
}

struct Counters {
    uint64_t frames = 0;
    uint64_t not_ip = 0;
    uint64_t truncated = 0;
    uint64_t malformed = 0;
    uint64_t unsupported_link = 0;
};

struct Loop {
    int link_type = 0;
    flow::probe::FlowCache* cache = nullptr;
    flow::probe::Packet packet;
    Counters counters;
};

void OnFrame(u_char* user, const pcap_pkthdr* h, const u_char* frame) {
    Loop* loop = reinterpret_cast<Loop*>(user);
    ++loop->counters.frames;
    loop->packet.time_ms = PacketMs(h);
    switch (flow::probe::ParsePacket(loop->link_type, frame, h->caplen, &loop->packet)) {
        case flow::probe::ParseOutcome::kIp:
            loop->cache->Add(loop->packet);
            return;
        case flow::probe::ParseOutcome::kNotIp:
            ++loop->counters.not_ip;
            return;
        case flow::probe::ParseOutcome::kTruncated:
            ++loop->counters.truncated;
            return;
        case flow::probe::ParseOutcome::kMalformed:
            ++loop->counters.malformed;
            return;
        case flow::probe::ParseOutcome::kUnsupportedLink:
            ++loop->counters.unsupported_link;
            return;
    }
}

}  // namespace

int Run(const Options& o) {
    pcap_t* handle = OpenCapture(o);
    if (handle == nullptr) return 1;
    const bool offline = !o.capture_file.empty();
    Loop loop;
    loop.link_type = pcap_datalink(handle);

    // The exporter's boot time: a second before the wall clock at start live, or before the
    // earliest packet of the file offline (merged captures step back in time), so v5/v9
    // uptimes are never negative, and never 0, which collectors take for "no time".
    uint64_t boot_ms = (offline ? EarliestPacketMs(o.capture_file) : WallMs()) - 1000;
    pcap_pkthdr* first_header = nullptr;
    const u_char* first_frame = nullptr;
    int first_rc = 0;
    if (offline) first_rc = pcap_next_ex(handle, &first_header, &first_frame);

    std::unique_ptr<ExportSink> exporter;
    std::unique_ptr<FileSink> files;
    flow::probe::FlowSink* sink = nullptr;
    if (!o.dir.empty()) {
        files = std::make_unique<FileSink>(o);
        sink = files.get();
    } else {
        exporter = std::make_unique<ExportSink>(o, boot_ms);
        if (!exporter->Open()) {
            pcap_close(handle);
            return 1;
        }
        sink = exporter.get();
    }
    if (!DropPrivileges(o)) {
        pcap_close(handle);
        return 1;
    }

    flow::probe::CacheOptions cache_options = o.cache;
    if (!offline && cache_options.input_if == 0) {
        cache_options.input_if = ::if_nametoindex(o.interface.c_str());
    }
    flow::probe::FlowCache cache(cache_options, sink);
    loop.cache = &cache;
    if (o.verbose > 0) {
        Log("capture '" + (offline ? o.capture_file : o.interface) + "' link type " +
            std::to_string(loop.link_type) + ", active " +
            std::to_string(o.cache.active_timeout_s) + " s, inactive " +
            std::to_string(o.cache.inactive_timeout_s) + " s, " +
            std::to_string(o.cache.max_flows) +
            " flows, sampling 1:" + std::to_string(o.cache.sampling));
    }

    int rc = 0;
    if (offline) {
        if (first_rc == 1) {
            OnFrame(reinterpret_cast<u_char*>(&loop), first_header, first_frame);
            while (!g_stop) {
                pcap_pkthdr* h = nullptr;
                const u_char* frame = nullptr;
                const int n = pcap_next_ex(handle, &h, &frame);
                if (n != 1) {
                    first_rc = n;
                    break;
                }
                OnFrame(reinterpret_cast<u_char*>(&loop), h, frame);
                if (files) files->Tick(cache.clock_ms() / 1000);
            }
        }
        if (first_rc == PCAP_ERROR) {
            Log("read error in '" + o.capture_file + "': " + pcap_geterr(handle));
            rc = 1;
        }
    } else {
        // Non-blocking reads behind our own poll(): a signal or a quiet second returns
        // control, so idle flows expire and SIGTERM is seen even when no packet comes.
        char error[PCAP_ERRBUF_SIZE] = {};
        const int fd = pcap_get_selectable_fd(handle);
        if (fd < 0 || pcap_setnonblock(handle, 1, error) != 0) {
            Log("interface '" + o.interface + "' cannot be polled: " + error);
            rc = 1;
            g_stop = true;
        }
        uint64_t last_flush_ms = WallMs();
        while (!g_stop) {
            pollfd pfd{fd, POLLIN, 0};
            if (::poll(&pfd, 1, 500) < 0 && errno != EINTR) {
                Log(std::string("poll: ") + std::strerror(errno));
                rc = 1;
                break;
            }
            const int n = pcap_dispatch(handle, -1, OnFrame, reinterpret_cast<u_char*>(&loop));
            if (n == PCAP_ERROR) {
                Log(std::string("capture: ") + pcap_geterr(handle));
                rc = 1;
                break;
            }
            const uint64_t now_ms = WallMs();
            cache.Expire(now_ms);
            if (files) files->Tick(now_ms / 1000);
            if (exporter && now_ms >= last_flush_ms + 1000) {
                exporter->Flush(now_ms);
                last_flush_ms = now_ms;
            }
        }
        // Stopped by a signal: packets the kernel captured before it may still wait in the
        // capture buffer (captured, but not yet read). Take them (the handle is non-blocking)
        // so that their flows are exported with the rest, as the capture file's are.
        for (int round = 0; rc == 0 && round < 64; ++round) {
            const int n = pcap_dispatch(handle, -1, OnFrame, reinterpret_cast<u_char*>(&loop));
            if (n <= 0) break;
        }
    }

    // Shutdown or end of file: every open flow is exported.
    cache.Flush();
    if (exporter) exporter->Flush(cache.clock_ms());
    if (files) {
        files->Close();
        if (!files->status().ok()) rc = 1;
    }
    const auto& cc = cache.counters();
    std::string summary = "frames " + std::to_string(loop.counters.frames) + ", packets " +
                          std::to_string(cc.packets) + ", flows " +
                          std::to_string(cc.flows_exported) + ", not ip " +
                          std::to_string(loop.counters.not_ip) + ", truncated " +
                          std::to_string(loop.counters.truncated) + ", malformed " +
                          std::to_string(loop.counters.malformed);
    if (loop.counters.unsupported_link > 0) {
        summary += ", unsupported link type " + std::to_string(loop.link_type) + ": " +
                   std::to_string(loop.counters.unsupported_link) + " frames";
    }
    if (cc.sampled_out > 0) summary += ", sampled out " + std::to_string(cc.sampled_out);
    if (files && files->not_stored() > 0) {
        summary += ", flows not stored " + std::to_string(files->not_stored());
    }
    if (cc.evicted > 0) summary += ", evicted " + std::to_string(cc.evicted);
    if (cc.fragments_unmatched > 0) {
        summary += ", unmatched fragments " + std::to_string(cc.fragments_unmatched);
    }
    if (exporter) {
        summary += ", datagrams " + std::to_string(exporter->datagrams());
        if (exporter->v6_dropped() > 0) {
            summary += ", IPv6 flows not exported (NetFlow v5 has no IPv6) " +
                       std::to_string(exporter->v6_dropped());
        }
        if (exporter->wrapped() > 0) {
            summary += ", flows past the 32-bit uptime (misdated; use IPFIX) " +
                       std::to_string(exporter->wrapped());
        }
        if (exporter->send_errors() > 0) {
            summary += ", send errors " + std::to_string(exporter->send_errors());
        }
    }
    Log(summary);
    pcap_close(handle);
    return rc;
}

}  // namespace flowprobe

// SPDX-License-Identifier: BSD-2-Clause
// flowbench_gen: the data side of the side-by-side benchmark (scripts/bench/run.sh).
// Generates a deterministic, realistic flow population (Zipf-popular hosts, common services,
// TCP/UDP/ICMP, some IPv6, heavy-tailed counters, one hour of timestamps) and writes it as
// NetFlow v9/IPFIX export datagrams into a pcap (for `flowcapd -f` and a loopback replay to
// nfcapd), replays such a pcap at a paced rate, writes the same flows as raw packets (for the
// probe benchmark), or counts datagrams as a sink. Sockets are on 127.0.0.0/8 only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "flow/sample_exporter.h"

namespace {

const char kUsage[] =
    "usage: flowbench_gen pcap --flows N --out FILE.pcap [--seed S] [--version 9|10]\n"
    "                     [--hosts H] [--start EPOCH_S]\n"
    "       flowbench_gen send --pcap FILE.pcap --to 127.0.0.1:PORT [--to ...]\n"
    "                     [--rate FLOWS_PER_S] [--max-seconds T] [--batch N]\n"
    "       flowbench_gen packets --flows N --out FILE.pcap [--seed S] [--hosts H]\n"
    "       flowbench_gen sink --port PORT\n"
    "pcap writes FILE.pcap.idx too (flows per datagram) for send. send prints\n"
    "'sent_datagrams sent_flows seconds'; sink prints 'datagrams bytes' on SIGTERM.\n"
    "send --batch N reads the whole capture into memory before the clock starts and sends\n"
    "N datagrams per sendmmsg call (one destination), so that the sender costs as little\n"
    "CPU per datagram as it can.\n";

constexpr uint64_t kHourMs = 3600000;
constexpr uint16_t kExportPort = 9995;

// splitmix64: tiny, fast and the same on every platform and standard library, which
// <random>'s distributions are not; the data must be identical everywhere for a seed.
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t Next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
    uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Uniform() * n); }

private:
    uint64_t state_;
};

uint32_t Mix32(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return static_cast<uint32_t>(x);
}

// Weighted choice from a small table.
struct Weighted {
    uint16_t value;
    uint32_t weight;
};

const Weighted kTcpServices[] = {{443, 500}, {80, 150}, {22, 40},   {25, 30},  {993, 30},
                                 {8080, 30}, {8443, 30}, {3389, 20}, {445, 20}, {3306, 20},
                                 {5432, 10}, {0, 100}};  // 0: a random high port
const Weighted kUdpServices[] = {{53, 500}, {443, 200}, {123, 100}, {161, 50},
                                 {514, 50}, {1194, 30}, {5353, 20}, {0, 50}};
const Weighted kIcmpTypes[] = {{0x0800, 45}, {0x0000, 45}, {0x0303, 7}, {0x0b00, 3}};

template <size_t N>
uint16_t Pick(Rng& rng, const Weighted (&table)[N]) {
    uint32_t total = 0;
    for (const Weighted& w : table) total += w.weight;
    uint32_t r = rng.Below(total);
    for (const Weighted& w : table) {
        if (r < w.weight) return w.value;
        r -= w.weight;
    }
    return table[N - 1].value;
}

// Public prefixes the external servers live in (first two octets) with their origin AS.
struct ExternalNet {
    uint8_t a, b;
    uint32_t as;
};
const ExternalNet kExternal[] = {{23, 32, 16625},   {52, 84, 16509},  {104, 16, 13335},
                                 {142, 250, 15169}, {151, 101, 54113}, {185, 199, 36459},
                                 {157, 240, 32934}, {13, 107, 8075},  {93, 184, 15133},
                                 {199, 232, 54113}};

// A Zipf-like popularity over `n` ranks (weight 1/rank): rank 1 is the busiest host.
class Zipf {
public:
    explicit Zipf(uint32_t n) : cdf_(n) {
        double sum = 0;
        for (uint32_t k = 0; k < n; ++k) cdf_[k] = (sum += 1.0 / (k + 1));
        for (double& c : cdf_) c /= sum;
    }
    uint32_t Sample(Rng& rng) const {
        auto it = std::upper_bound(cdf_.begin(), cdf_.end(), rng.Uniform());
        return static_cast<uint32_t>(std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
    }

private:
    std::vector<double> cdf_;
};

// The flow population: internal clients and servers in 10.0.0.0/8 (and fd00::/8), external
// servers in a few public prefixes (and 2001:db8::/32), each side chosen by popularity.
class Population {
public:
    Population(uint64_t seed, uint32_t hosts, uint64_t start_ms, uint64_t flows)
        : rng_(seed), clients_(hosts), servers_(std::max<uint32_t>(hosts / 4, 16)),
          start_ms_(start_ms), flows_(flows) {}

    void Next(uint64_t index, flow::wire::EncodeFlow* f) {
        *f = flow::wire::EncodeFlow{};
        f->v6 = rng_.Uniform() < 0.1;
        uint32_t client = clients_.Sample(rng_);
        uint32_t server = servers_.Sample(rng_);
        bool internal_server = Mix32(server * 7 + 3) % 10 < 3;

        double p = rng_.Uniform();
        f->proto = p < 0.70 ? 6 : p < 0.95 ? 17 : 1;
        if (f->v6 && f->proto == 1) f->proto = 58;
        uint16_t service = 0;
        if (f->proto == 6) service = Pick(rng_, kTcpServices);
        if (f->proto == 17) service = Pick(rng_, kUdpServices);
        if (service == 0) service = static_cast<uint16_t>(1024 + rng_.Below(64000));
        uint16_t ephemeral = static_cast<uint16_t>(32768 + rng_.Below(28232));

        uint8_t client_addr[16], server_addr[16];
        uint32_t server_as = 0;
        InternalAddress(client, f->v6, client_addr);
        if (internal_server) {
            InternalAddress(hosts_offset_ + server, f->v6, server_addr);
        } else {
            server_as = ExternalAddress(server, f->v6, server_addr);
        }

        // Half the flows are requests, half replies: both directions show up in the stats.
        bool reply = rng_.Uniform() < 0.5;
        size_t alen = f->v6 ? 16 : 4;
        std::memcpy(reply ? f->dst : f->src, client_addr, alen);
        std::memcpy(reply ? f->src : f->dst, server_addr, alen);
        f->src_port = reply ? service : ephemeral;
        f->dst_port = reply ? ephemeral : service;
        f->src_as = reply ? server_as : 0;
        f->dst_as = reply ? 0 : server_as;
        f->src_mask = f->v6 ? 64 : 24;
        f->dst_mask = f->v6 ? 48 : 16;
        f->input = reply ? 2 : 1;
        f->output = reply ? 1 : 2;
        if (!f->v6) {
            f->next_hop[0] = 10;
            f->next_hop[3] = reply ? 1 : 254;
        }
        if (f->proto == 1 || f->proto == 58) {
            f->src_port = 0;
            f->dst_port = Pick(rng_, kIcmpTypes);
        }
        f->tos = rng_.Uniform() < 0.9 ? 0 : 0x28;

        Counters(f);
        // Flows end spread evenly over one hour, as an exporter expires them.
        uint64_t end = start_ms_ + index * (kHourMs - 3000) / std::max<uint64_t>(flows_, 1);
        f->last_ms = end + rng_.Below(1000);
        uint64_t duration = 0;
        if (f->packets > 1) {
            duration = static_cast<uint64_t>(-std::log(1.0 - rng_.Uniform()) * 8000.0);
            duration = std::min<uint64_t>(duration, 300000);
        }
        f->first_ms = f->last_ms - std::min(duration, f->last_ms - start_ms_ + 300000);
    }

private:
    void InternalAddress(uint32_t k, bool v6, uint8_t* out) const {
        uint32_t h = Mix32(k + 0x1000);
        if (!v6) {
            // About 40 /24s in 10.0.0.0/8 hold most hosts, so /24 aggregation means something.
            out[0] = 10;
            out[1] = static_cast<uint8_t>(h % 4);
            out[2] = static_cast<uint8_t>((h >> 8) % 10);
            out[3] = static_cast<uint8_t>(1 + k % 254);
            return;
        }
        std::memset(out, 0, 16);
        out[0] = 0xfd;
        out[1] = 0x00;
        out[7] = static_cast<uint8_t>(h % 16);
        out[12] = static_cast<uint8_t>(k >> 24);
        out[13] = static_cast<uint8_t>(k >> 16);
        out[14] = static_cast<uint8_t>(k >> 8);
        out[15] = static_cast<uint8_t>(k);
    }

    uint32_t ExternalAddress(uint32_t k, bool v6, uint8_t* out) const {
        uint32_t h = Mix32(k + 0x2000);
        const ExternalNet& net = kExternal[h % std::size(kExternal)];
        if (!v6) {
            out[0] = net.a;
            out[1] = net.b;
            out[2] = static_cast<uint8_t>(h >> 8);
            out[3] = static_cast<uint8_t>(1 + (h >> 16) % 254);
            return net.as;
        }
        std::memset(out, 0, 16);
        out[0] = 0x20;
        out[1] = 0x01;
        out[2] = 0x0d;
        out[3] = 0xb8;
        out[4] = net.a;
        out[5] = net.b;
        out[14] = static_cast<uint8_t>(h >> 8);
        out[15] = static_cast<uint8_t>(h >> 16);
        return net.as;
    }

    // Packets follow a Pareto law (alpha 1.2): most flows are a few packets, a few carry most
    // of the bytes. DNS and NTP stay small; ICMP packets are pings.
    void Counters(flow::wire::EncodeFlow* f) {
        double u = 1.0 - rng_.Uniform();
        double packets = std::pow(u, -1.0 / 1.2);
        if (f->proto == 17 && (f->src_port == 53 || f->dst_port == 53 || f->src_port == 123 ||
                               f->dst_port == 123)) {
            packets = 1 + rng_.Below(2);
        }
        f->packets = static_cast<uint64_t>(std::min(packets, 5e7));
        uint32_t size;
        if (f->proto == 1 || f->proto == 58) {
            size = 84;
        } else if (f->packets <= 3 || rng_.Uniform() < 0.3) {
            size = 40 + rng_.Below(120);
        } else {
            size = 400 + rng_.Below(1100);
        }
        f->bytes = f->packets * size;
        if (f->proto == 6) {
            f->tcp_flags = f->packets == 1 ? (rng_.Uniform() < 0.7 ? 0x02 : 0x14)
                                           : (rng_.Uniform() < 0.8 ? 0x1b : 0x1a);
        }
    }

    Rng rng_;
    Zipf clients_;
    Zipf servers_;
    uint32_t hosts_offset_ = 0x10000;
    uint64_t start_ms_;
    uint64_t flows_;
};

struct Args {
    std::string mode;
    uint64_t flows = 100000;
    uint64_t seed = 1;
    uint32_t hosts = 4000;
    uint16_t version = 9;
    uint64_t start_s = 1796119200;  // 2026-12-01 10:00:00 UTC, a whole hour
    std::string out;
    std::string pcap;
    std::vector<sockaddr_in> to;
    double rate = 0;  // flows per second, 0 = as fast as possible
    double max_seconds = 0;
    uint16_t port = 0;
    unsigned batch = 0;  // send: datagrams per sendmmsg; 0 = one sendto per datagram
};

[[noreturn]] void Usage(const char* why) {
    if (why) std::fprintf(stderr, "flowbench_gen: %s\n", why);
    std::fputs(kUsage, stderr);
    std::exit(2);
}

bool ParseLoopback(const std::string& text, sockaddr_in* out) {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    int port = std::atoi(text.c_str() + colon + 1);
    if (port <= 0 || port > 65535) return false;
    *out = sockaddr_in{};
    out->sin_family = AF_INET;
    out->sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, text.substr(0, colon).c_str(), &out->sin_addr) != 1) return false;
    return (ntohl(out->sin_addr.s_addr) >> 24) == 127;
}

Args Parse(int argc, char** argv) {
    if (argc < 2) Usage(nullptr);
    Args a;
    a.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "-h" || k == "--help") Usage(nullptr);
        if (i + 1 >= argc) Usage(("missing value after '" + k + "'").c_str());
        std::string v = argv[++i];
        if (k == "--flows") {
            a.flows = std::strtoull(v.c_str(), nullptr, 10);
        } else if (k == "--seed") {
            a.seed = std::strtoull(v.c_str(), nullptr, 10);
        } else if (k == "--hosts") {
            a.hosts = static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
        } else if (k == "--version") {
            a.version = static_cast<uint16_t>(std::atoi(v.c_str()));
        } else if (k == "--start") {
            a.start_s = std::strtoull(v.c_str(), nullptr, 10);
        } else if (k == "--out") {
            a.out = v;
        } else if (k == "--pcap") {
            a.pcap = v;
        } else if (k == "--to") {
            sockaddr_in d;
            if (!ParseLoopback(v, &d)) {
                Usage(("bad or non-loopback destination '" + v + "'").c_str());
            }
            a.to.push_back(d);
        } else if (k == "--rate") {
            a.rate = std::atof(v.c_str());
        } else if (k == "--max-seconds") {
            a.max_seconds = std::atof(v.c_str());
        } else if (k == "--batch") {
            a.batch = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
            if (a.batch == 0 || a.batch > 1024) Usage("--batch must be 1 to 1024");
        } else if (k == "--port") {
            a.port = static_cast<uint16_t>(std::atoi(v.c_str()));
        } else {
            Usage(("unknown option '" + k + "'").c_str());
        }
    }
    if (a.hosts < 16) Usage("--hosts must be at least 16");
    if (a.version != 9 && a.version != 10) Usage("--version must be 9 or 10");
    return a;
}

uint16_t Checksum(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

void Put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

// Writes Ethernet + IPv4 + L4 frames with libpcap's dump API.
class PcapWriter {
public:
    explicit PcapWriter(const std::string& path) {
        pcap_ = pcap_open_dead(DLT_EN10MB, 65535);
        dump_ = pcap_ ? pcap_dump_open(pcap_, path.c_str()) : nullptr;
        if (!dump_) {
            std::fprintf(stderr, "flowbench_gen: cannot write %s: %s\n", path.c_str(),
                         pcap_ ? pcap_geterr(pcap_) : "pcap_open_dead failed");
            std::exit(1);
        }
    }
    ~PcapWriter() {
        pcap_dump_close(dump_);
        pcap_close(pcap_);
    }

    // One IPv4 frame from `src` to `dst` carrying `l4` (already built, `l4_len` bytes
    // captured of `wire_l4_len` on the wire).
    void Write(uint64_t ts_us, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
               const uint8_t* l4, size_t l4_len, size_t wire_l4_len) {
        frame_.assign(34 + l4_len, 0);
        uint8_t* eth = frame_.data();
        eth[5] = 1;
        eth[11] = 2;
        eth[12] = 0x08;  // IPv4
        uint8_t* ip = eth + 14;
        ip[0] = 0x45;
        Put16(ip + 2, static_cast<uint16_t>(20 + wire_l4_len));
        ip[8] = 64;
        ip[9] = proto;
        std::memcpy(ip + 12, src, 4);
        std::memcpy(ip + 16, dst, 4);
        Put16(ip + 10, Checksum(ip, 20));
        std::memcpy(ip + 20, l4, l4_len);
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<time_t>(ts_us / 1000000);
        h.ts.tv_usec = static_cast<suseconds_t>(ts_us % 1000000);
        h.caplen = static_cast<bpf_u_int32>(frame_.size());
        h.len = static_cast<bpf_u_int32>(34 + wire_l4_len);
        pcap_dump(reinterpret_cast<u_char*>(dump_), &h, frame_.data());
    }

private:
    pcap_t* pcap_ = nullptr;
    pcap_dumper_t* dump_ = nullptr;
    std::vector<uint8_t> frame_;
};

// pcap mode: the export datagrams of `flows` generated flows, from 127.0.0.2:2055 to
// 127.0.0.1:9995, each stamped with its export time, and an .idx file holding the number of
// flow records of each datagram (one byte each) so `send` knows how many flows it sent.
int WritePcap(const Args& a) {
    if (a.out.empty()) Usage("pcap needs --out");
    flow::wire::EncoderOptions eo;
    eo.version = a.version;
    eo.source_id = 1;
    flow::wire::FlowEncoder enc(eo);
    Population pop(a.seed, a.hosts, a.start_s * 1000, a.flows);
    PcapWriter out(a.out);
    FILE* idx = std::fopen((a.out + ".idx").c_str(), "wb");
    if (!idx) {
        std::perror(("flowbench_gen: " + a.out + ".idx").c_str());
        return 1;
    }
    const uint8_t exporter[4] = {127, 0, 0, 2};
    const uint8_t collector[4] = {127, 0, 0, 1};
    const uint64_t boot_ms = a.start_s * 1000 - 86400000;  // up for a day
    std::vector<uint8_t> udp;
    uint64_t datagrams = 0;
    uint64_t export_ms = 0;

    auto flush = [&]() {
        const std::vector<uint8_t>& d = enc.Finish();
        udp.assign(8 + d.size(), 0);
        Put16(udp.data(), 2055);
        Put16(udp.data() + 2, kExportPort);
        Put16(udp.data() + 4, static_cast<uint16_t>(udp.size()));
        std::memcpy(udp.data() + 8, d.data(), d.size());
        out.Write(export_ms * 1000, exporter, collector, 17, udp.data(), udp.size(), udp.size());
        uint8_t n = static_cast<uint8_t>(enc.flows());
        std::fwrite(&n, 1, 1, idx);
        ++datagrams;
    };

    flow::wire::EncodeFlow f;
    bool open = false;
    for (uint64_t i = 0; i < a.flows; ++i) {
        pop.Next(i, &f);
        uint64_t now = std::max(export_ms, f.last_ms + 1000);
        if (!open) {
            export_ms = now;
            enc.Begin(export_ms, static_cast<uint32_t>(export_ms - boot_ms), boot_ms);
            open = true;
        }
        if (enc.Add(f)) continue;
        flush();
        export_ms = now;
        enc.Begin(export_ms, static_cast<uint32_t>(export_ms - boot_ms), boot_ms);
        if (!enc.Add(f)) {
            std::fprintf(stderr, "flowbench_gen: a flow does not fit an empty datagram\n");
            return 1;
        }
    }
    if (open && enc.flows() > 0) flush();
    std::fclose(idx);
    std::printf("%llu flows in %llu datagrams\n", static_cast<unsigned long long>(a.flows),
                static_cast<unsigned long long>(datagrams));
    return 0;
}

uint64_t NowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// send --batch: the capture's payloads are read into memory first, then sent `batch` at a
// time with sendmmsg, paced per call to `rate` flows/s, so that reading the pcap and one
// system call per datagram do not make the sender the bottleneck of a collector test. One
// destination only. Closes `p` and `fd`; prints what Send prints.
int SendBatched(const Args& a, pcap_t* p, int fd, const std::vector<uint8_t>& counts) {
    if (a.to.size() != 1) Usage("send --batch takes one --to");
    std::vector<uint8_t> bytes;
    std::vector<size_t> offsets;         // datagram i is bytes[offsets[i], offsets[i + 1])
    std::vector<uint32_t> flows_before;  // flows in the datagrams before i
    pcap_pkthdr* h;
    const u_char* data;
    uint32_t flows_total = 0;
    while (pcap_next_ex(p, &h, &data) == 1 && offsets.size() < counts.size()) {
        if (h->caplen < 42) continue;  // our own frames: Ethernet 14 + IPv4 20 + UDP 8
        flows_before.push_back(flows_total);
        flows_total += counts[offsets.size()];
        offsets.push_back(bytes.size());
        bytes.insert(bytes.end(), data + 42, data + h->caplen);
    }
    pcap_close(p);
    const size_t n = flows_before.size();
    offsets.push_back(bytes.size());
    flows_before.push_back(flows_total);

    std::vector<iovec> iov(a.batch);
    std::vector<mmsghdr> msgs(a.batch);
    sockaddr_in to = a.to[0];
    const uint64_t start = NowNs();
    const uint64_t limit_ns = a.max_seconds > 0 ? static_cast<uint64_t>(a.max_seconds * 1e9) : 0;
    size_t next = 0;
    while (next < n) {
        const uint64_t due =
            a.rate > 0 ? static_cast<uint64_t>(flows_before[next] / a.rate * 1e9) : 0;
        uint64_t elapsed = NowNs() - start;
        if (limit_ns && elapsed >= limit_ns) break;
        while (due > elapsed) {  // as Send: sleep when well ahead, else spin
            if (due - elapsed > 200000) {
                timespec ts{0, static_cast<long>(due - elapsed - 100000)};
                nanosleep(&ts, nullptr);
            }
            elapsed = NowNs() - start;
        }
        const size_t count = std::min<size_t>(a.batch, n - next);
        for (size_t i = 0; i < count; ++i) {
            iov[i] = {bytes.data() + offsets[next + i], offsets[next + i + 1] - offsets[next + i]};
            msgs[i].msg_hdr = {};
            msgs[i].msg_hdr.msg_name = &to;
            msgs[i].msg_hdr.msg_namelen = sizeof(to);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        size_t done = 0;
        while (done < count) {
            const int rc =
                ::sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(count - done), 0);
            if (rc > 0) {
                done += static_cast<size_t>(rc);
            } else if (errno != ENOBUFS && errno != EAGAIN) {
                std::perror("flowbench_gen: sendmmsg");
                return 1;
            }
        }
        next += count;
    }
    const double seconds = static_cast<double>(NowNs() - start) / 1e9;
    ::close(fd);
    std::printf("%llu %llu %.3f\n", static_cast<unsigned long long>(next),
                static_cast<unsigned long long>(flows_before[next]), seconds);
    return 0;
}

// send mode: replays the UDP payloads of a pcap written by `pcap` (the .idx beside it gives
// the flows per datagram) from 127.0.0.2 to each destination, paced to `rate` flows/s, and
// stops at the end of the capture or after `max_seconds`.
int Send(const Args& a) {
    if (a.pcap.empty() || a.to.empty()) Usage("send needs --pcap and --to");
    std::vector<uint8_t> counts;
    if (FILE* idx = std::fopen((a.pcap + ".idx").c_str(), "rb")) {
        int c;
        while ((c = std::fgetc(idx)) != EOF) counts.push_back(static_cast<uint8_t>(c));
        std::fclose(idx);
    } else {
        std::perror(("flowbench_gen: " + a.pcap + ".idx").c_str());
        return 1;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(a.pcap.c_str(), err);
    if (!p) {
        std::fprintf(stderr, "flowbench_gen: %s: %s\n", a.pcap.c_str(), err);
        return 1;
    }
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000002u);  // the exporter address written in the pcap
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
        std::perror("flowbench_gen: bind 127.0.0.2");
        return 1;
    }
    int buf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    if (a.batch > 0) return SendBatched(a, p, fd, counts);

    uint64_t start = NowNs();
    uint64_t limit_ns = a.max_seconds > 0 ? static_cast<uint64_t>(a.max_seconds * 1e9) : 0;
    uint64_t datagrams = 0, flows = 0;
    pcap_pkthdr* h;
    const u_char* data;
    while (pcap_next_ex(p, &h, &data) == 1 && datagrams < counts.size()) {
        // Our own frames: Ethernet 14 + IPv4 20 + UDP 8.
        if (h->caplen < 42) continue;
        uint64_t due = a.rate > 0 ? static_cast<uint64_t>(static_cast<double>(flows) / a.rate * 1e9)
                                  : 0;
        uint64_t elapsed = NowNs() - start;
        if (limit_ns && elapsed >= limit_ns) break;
        // Sleep only when well ahead; short waits spin so high rates stay smooth.
        while (due > elapsed) {
            if (due - elapsed > 200000) {
                timespec ts{0, static_cast<long>(due - elapsed - 100000)};
                nanosleep(&ts, nullptr);
            }
            elapsed = NowNs() - start;
        }
        for (const sockaddr_in& d : a.to) {
            while (::sendto(fd, data + 42, h->caplen - 42, 0,
                            reinterpret_cast<const sockaddr*>(&d), sizeof(d)) < 0) {
                if (errno != ENOBUFS && errno != EAGAIN) {
                    std::perror("flowbench_gen: sendto");
                    return 1;
                }
            }
        }
        flows += counts[datagrams];
        ++datagrams;
    }
    double seconds = static_cast<double>(NowNs() - start) / 1e9;
    pcap_close(p);
    ::close(fd);
    std::printf("%llu %llu %.3f\n", static_cast<unsigned long long>(datagrams),
                static_cast<unsigned long long>(flows), seconds);
    return 0;
}

// packets mode: the same population as packets for a probe: a window of 2000 concurrent
// flows, each sending its packets (at most 64, headers only) interleaved with the others,
// 20 µs apart. Prints the packet count.
int WritePackets(const Args& a) {
    if (a.out.empty()) Usage("packets needs --out");
    Population pop(a.seed, a.hosts, a.start_s * 1000, a.flows);
    PcapWriter out(a.out);
    struct Live {
        flow::wire::EncodeFlow f;
        uint64_t left = 0;
        uint32_t size = 0;
    };
    std::vector<Live> live;
    uint64_t next = 0, packets = 0, ts_us = a.start_s * 1000000;
    uint8_t l4[20];
    flow::wire::EncodeFlow f;
    auto refill = [&](Live* l) {
        while (next < a.flows) {
            pop.Next(next++, &f);
            if (f.v6) continue;  // the probe comparison is on IPv4 frames
            l->f = f;
            l->left = std::min<uint64_t>(f.packets, 64);
            l->size = static_cast<uint32_t>(std::max<uint64_t>(f.bytes / f.packets, 40));
            return true;
        }
        return false;
    };
    live.resize(2000);
    size_t active = 0;
    for (Live& l : live) active += refill(&l) ? 1 : 0;
    live.resize(active);
    while (!live.empty()) {
        for (size_t i = 0; i < live.size();) {
            Live& l = live[i];
            std::memset(l4, 0, sizeof(l4));
            size_t len = 8, wire = l.size > 20 ? l.size - 20 : 8;
            if (l.f.proto == 6) {
                Put16(l4, l.f.src_port);
                Put16(l4 + 2, l.f.dst_port);
                l4[12] = 0x50;
                l4[13] = l.f.tcp_flags;
                len = 20;
            } else if (l.f.proto == 17) {
                Put16(l4, l.f.src_port);
                Put16(l4 + 2, l.f.dst_port);
                Put16(l4 + 4, static_cast<uint16_t>(std::min<size_t>(wire, 65535)));
            } else {
                l4[0] = static_cast<uint8_t>(l.f.dst_port >> 8);
                l4[1] = static_cast<uint8_t>(l.f.dst_port);
            }
            wire = std::max(wire, len);
            out.Write(ts_us, l.f.src, l.f.dst, l.f.proto, l4, len, std::min<size_t>(wire, 1480));
            ts_us += 20;
            ++packets;
            if (--l.left == 0 && !refill(&l)) {
                live[i] = live.back();
                live.pop_back();
                continue;
            }
            ++i;
        }
    }
    std::printf("%llu packets\n", static_cast<unsigned long long>(packets));
    return 0;
}

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// sink mode: a UDP receiver on 127.0.0.1:PORT for exporters under test; counts datagrams
// until SIGTERM or SIGINT and prints the totals.
int Sink(const Args& a) {
    if (a.port == 0) Usage("sink needs --port");
    struct sigaction sa{};
    sa.sa_handler = OnSignal;  // no SA_RESTART: recv must return on the signal
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(a.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int buf = 8 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        std::perror("flowbench_gen: sink bind");
        return 1;
    }
    uint64_t datagrams = 0, bytes = 0;
    static uint8_t data[65536];
    while (!g_stop) {
        ssize_t n = ::recv(fd, data, sizeof(data), 0);
        if (n < 0) continue;
        ++datagrams;
        bytes += static_cast<uint64_t>(n);
    }
    std::printf("%llu %llu\n", static_cast<unsigned long long>(datagrams),
                static_cast<unsigned long long>(bytes));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args a = Parse(argc, argv);
    if (a.mode == "pcap") return WritePcap(a);
    if (a.mode == "send") return Send(a);
    if (a.mode == "packets") return WritePackets(a);
    if (a.mode == "sink") return Sink(a);
    Usage(("unknown mode '" + a.mode + "'").c_str());
}

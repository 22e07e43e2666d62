// SPDX-License-Identifier: BSD-2-Clause
// flowsend: the test suite's exporter. Sends the UDP payloads of pcap captures (or generated
// sample traffic) to collectors on loopback, each original exporter from its own loopback
// source address (127.0.0.10, .11, ...), so the collectors see one exporter per original.
// It refuses every destination outside 127.0.0.0/8 and ::1. The sample traffic can come from
// many exporters (address and domain pairs, each its own stream) and be paced to a flow rate.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "flow/pcap_source.h"
#include "flow/sample_exporter.h"

namespace {

struct Destination {
    sockaddr_in addr{};
};

const char kUsage[] =
    "usage: flowsend --to 127.0.0.1:PORT [--to ...] [--gap-us N] CAPTURE|PAYLOAD...\n"
    "       flowsend --to 127.0.0.1:PORT --sample 5|9|10 [--flows N] [--seed S]\n"
    "                [--exporters N [--domains D] [--as-one]] [--rate FLOWS_PER_S]\n"
    "Sends every UDP payload of the captures, in order, to each destination; one loopback\n"
    "source address per original exporter. Destinations must be in 127.0.0.0/8.\n"
    "--exporters N splits the sample flows (--flows in all) into N streams (seeds S, S+1, ...)\n"
    "sent interleaved, stream k from 127.0.0.(10 + k / D) with source id / domain k % D + 1;\n"
    "--as-one sends every stream from 127.0.0.10, domain 1 (the same flows, one exporter).\n"
    "--rate paces the sample datagrams to that many flows per second (0: as fast as it can;\n"
    "it replaces --gap-us). The last line on stderr counts datagrams and flows sent.\n";

bool ParseDestination(const std::string& text, Destination* out) {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    std::string host = text.substr(0, colon);
    int port = std::atoi(text.c_str() + colon + 1);
    if (port <= 0 || port > 65535) return false;
    out->addr.sin_family = AF_INET;
    out->addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &out->addr.sin_addr) != 1) return false;
    // Loopback only: this tool exists for tests on this machine.
    return (ntohl(out->addr.sin_addr.s_addr) >> 24) == 127;
}

// A socket bound to 127.0.0.<octet>, one per original exporter.
class Senders {
public:
    ~Senders() {
        for (auto& [key, fd] : fds_) ::close(fd);
    }

    int For(const std::string& exporter) {
        auto it = fds_.find(exporter);
        if (it != fds_.end()) return it->second;
        int octet = 10 + static_cast<int>(fds_.size());
        if (octet > 250) octet = 250;  // more exporters than addresses: share the last
        int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(0x7f000000u | static_cast<uint32_t>(octet));
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
            std::perror("flowsend: bind");
            std::exit(1);
        }
        int buf = 4 << 20;
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
        fds_[exporter] = fd;
        return fd;
    }

private:
    std::map<std::string, int> fds_;
};

void Send(int fd, const std::vector<Destination>& dests, const uint8_t* data, size_t len,
          int gap_us) {
    for (const Destination& d : dests) {
        if (::sendto(fd, data, len, 0, reinterpret_cast<const sockaddr*>(&d.addr), sizeof(d.addr)) <
            0) {
            std::perror("flowsend: sendto");
        }
    }
    if (gap_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
}

// Sleeps until `start` + `seconds` (CLOCK_MONOTONIC): an absolute schedule, so a late wake-up
// is made up by the next datagrams instead of lowering the rate.
void SleepUntil(const timespec& start, double seconds) {
    timespec t = start;
    const auto whole = static_cast<time_t>(seconds);
    t.tv_sec += whole;
    t.tv_nsec += static_cast<long>((seconds - static_cast<double>(whole)) * 1e9);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec += 1;
        t.tv_nsec -= 1000000000L;
    }
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr) == EINTR) {
    }
}

bool EndsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Splits a raw payload file into datagrams. Most hold one; some hold several back to back,
// each self-delimiting: NetFlow v1/v5/v7 by record count, IPFIX by its message length.
// NetFlow v9 carries no length, so a v9 file is always one datagram.
std::vector<std::vector<uint8_t>> SplitRaw(const std::vector<uint8_t>& bytes) {
    std::vector<std::vector<uint8_t>> out;
    size_t pos = 0;
    while (pos + 4 <= bytes.size()) {
        unsigned version = bytes[pos] << 8 | bytes[pos + 1];
        unsigned count = bytes[pos + 2] << 8 | bytes[pos + 3];
        size_t len = bytes.size() - pos;
        if (version == 5) len = 24 + 48 * static_cast<size_t>(count);
        if (version == 7) len = 24 + 52 * static_cast<size_t>(count);
        if (version == 1) len = 16 + 48 * static_cast<size_t>(count);
        if (version == 10) len = count;  // the IPFIX message length
        if (len < 4 || len > bytes.size() - pos) len = bytes.size() - pos;
        out.emplace_back(bytes.begin() + static_cast<long>(pos),
                         bytes.begin() + static_cast<long>(pos + len));
        pos += len;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<Destination> dests;
    std::vector<std::string> captures;
    int gap_us = 200;
    int sample_version = 0;
    size_t sample_flows = 300;
    uint64_t seed = 1;
    size_t exporters = 1;
    size_t domains = 1;
    bool as_one = false;
    double rate = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fputs(kUsage, stderr);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--to") {
            Destination d;
            std::string t = next();
            if (!ParseDestination(t, &d)) {
                std::fprintf(stderr, "flowsend: bad or non-loopback destination '%s'\n", t.c_str());
                return 2;
            }
            dests.push_back(d);
        } else if (a == "--gap-us") {
            gap_us = std::atoi(next().c_str());
        } else if (a == "--sample") {
            sample_version = std::atoi(next().c_str());
        } else if (a == "--flows") {
            sample_flows = std::strtoul(next().c_str(), nullptr, 10);
        } else if (a == "--seed") {
            seed = std::strtoull(next().c_str(), nullptr, 10);
        } else if (a == "--exporters") {
            exporters = std::strtoul(next().c_str(), nullptr, 10);
        } else if (a == "--domains") {
            domains = std::strtoul(next().c_str(), nullptr, 10);
        } else if (a == "--as-one") {
            as_one = true;
        } else if (a == "--rate") {
            rate = std::strtod(next().c_str(), nullptr);
        } else if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        } else {
            captures.push_back(a);
        }
    }
    if (dests.empty() || (captures.empty() && sample_version == 0)) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    // Addresses 127.0.0.10 to .250: more would share the last one, which would merge
    // exporters the caller counts as distinct.
    if (exporters == 0 || domains == 0 || (exporters + domains - 1) / domains > 241 ||
        rate < 0) {
        std::fputs("flowsend: --exporters/--domains need 1 to 241 addresses, --rate >= 0\n",
                   stderr);
        return 2;
    }

    Senders senders;
    uint64_t sent = 0;
    uint64_t sent_flows = 0;
    if (sample_version != 0) {
        // One stream per exporter, generated up front so sending is not slowed by encoding.
        std::vector<std::vector<flow::wire::SampleDatagram>> streams(exporters);
        std::vector<int> fds(exporters);
        for (size_t k = 0; k < exporters; ++k) {
            flow::wire::SampleOptions so;
            so.version = static_cast<uint16_t>(sample_version);
            so.flows = sample_flows / exporters + (k < sample_flows % exporters ? 1 : 0);
            so.seed = seed + k;
            so.source_id = as_one ? 1 : static_cast<uint32_t>(k % domains + 1);
            streams[k] = flow::wire::GenerateSampleTraffic(so);
            fds[k] = senders.For(as_one ? "sample" : "sample" + std::to_string(k / domains));
        }
        timespec start{};
        ::clock_gettime(CLOCK_MONOTONIC, &start);
        const int gap = rate > 0 ? 0 : gap_us;
        for (size_t i = 0;; ++i) {
            bool any = false;
            for (size_t k = 0; k < exporters; ++k) {
                if (i >= streams[k].size()) continue;
                any = true;
                const auto& d = streams[k][i];
                if (rate > 0) SleepUntil(start, static_cast<double>(sent_flows) / rate);
                Send(fds[k], dests, d.bytes.data(), d.bytes.size(), gap);
                ++sent;
                sent_flows += d.flows;
            }
            if (!any) break;
        }
    }
    for (const std::string& path : captures) {
        if (EndsWith(path, ".dat") || EndsWith(path, ".bin") || EndsWith(path, ".ipfix")) {
            std::ifstream in(path, std::ios::binary);
            if (!in) {
                std::fprintf(stderr, "flowsend: cannot read %s\n", path.c_str());
                return 1;
            }
            std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
            for (const auto& d : SplitRaw(bytes)) {
                Send(senders.For("raw"), dests, d.data(), d.size(), gap_us);
                ++sent;
            }
            continue;
        }
        auto reader = flow::wire::PcapUdpReader::Open(path);
        if (!reader.ok()) {
            std::fprintf(stderr, "flowsend: %s: %s\n", path.c_str(),
                         reader.status().message().c_str());
            return 1;
        }
        flow::wire::UdpDatagram d;
        for (;;) {
            auto more = (*reader)->Next(&d);
            if (!more.ok() || !*more) break;
            Send(senders.For(d.source.ToString()), dests, d.payload, d.length, gap_us);
            ++sent;
        }
    }
    std::fprintf(stderr, "flowsend: %llu datagrams sent (%llu sample flows)\n",
                 static_cast<unsigned long long>(sent),
                 static_cast<unsigned long long>(sent_flows));
    return 0;
}

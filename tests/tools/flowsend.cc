// SPDX-License-Identifier: BSD-2-Clause
// flowsend: the test suite's exporter. Sends the UDP payloads of pcap captures (or generated
// sample traffic) to collectors on loopback, each original exporter from its own loopback
// source address (127.0.0.10, .11, ...), so the collectors see one exporter per original.
// It refuses every destination outside 127.0.0.0/8 and ::1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
    "Sends every UDP payload of the captures, in order, to each destination; one loopback\n"
    "source address per original exporter. Destinations must be in 127.0.0.0/8.\n";

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

    Senders senders;
    uint64_t sent = 0;
    if (sample_version != 0) {
        flow::wire::SampleOptions so;
        so.version = static_cast<uint16_t>(sample_version);
        so.flows = sample_flows;
        so.seed = seed;
        for (const auto& d : flow::wire::GenerateSampleTraffic(so)) {
            Send(senders.For("sample"), dests, d.bytes.data(), d.bytes.size(), gap_us);
            ++sent;
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
    std::fprintf(stderr, "flowsend: %llu datagrams sent\n", static_cast<unsigned long long>(sent));
    return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
// Helpers shared by the nffile tests: read a whole file, format records like nfdump 1.7.1's
// 48-column csv for comparisons with reference output, parse `nfdump -I` text.
#pragma once

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "flow/nffile.h"

namespace flow::testing {

inline std::string CorpusDir() {
    const std::string dir = FLOWKIT_CORPUS_DIR;
    struct stat st;
    return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? dir : std::string();
}

inline bool FileExists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

// A scratch directory for one test binary run, removed by nobody (under /tmp).
inline std::string ScratchDir() {
    static std::string dir = [] {
        char tmpl[] = "/tmp/flowkit-nffile-test-XXXXXX";
        const char* d = ::mkdtemp(tmpl);
        return std::string(d != nullptr ? d : "/tmp");
    }();
    return dir;
}

struct ReadOutcome {
    Status open_status;
    Status status;  // first error of NextBlock, OK when the file was read to its end
    FileInfo info;
    ReadCounters counters;
    std::vector<FlowRecord> records;
    std::vector<ExporterInfo> exporters;
    std::vector<SamplerInfo> samplers;
    uint32_t good_blocks = 0;  // blocks NextBlock() loaded
};

// Reads `path` to its end or its first error (which stops the read).
inline ReadOutcome ReadWholeFile(const std::string& path, const ReaderOptions& options = {}) {
    ReadOutcome out;
    auto reader = NfFileReader::Open(path, options);
    if (!reader.ok()) {
        out.open_status = reader.status();
        return out;
    }
    NfFileReader& r = **reader;
    out.info = r.info();
    FlowRecord rec;
    for (;;) {
        Result<bool> more = r.NextBlock();
        if (!more.ok()) {
            out.status = more.status();
            break;
        }
        if (!*more) break;
        while (r.NextRecord(&rec)) out.records.push_back(rec);
        ++out.good_blocks;
    }
    out.counters = r.counters();
    out.exporters = r.exporters();
    out.samplers = r.samplers();
    return out;
}

inline std::vector<std::string> ReadLines(const std::string& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

// `nfdump -I` output as key -> value text.
inline std::map<std::string, std::string> ParseInfo(const std::vector<std::string>& lines) {
    std::map<std::string, std::string> kv;
    for (const std::string& line : lines) {
        const size_t colon = line.find(": ");
        if (colon == std::string::npos) {
            if (!line.empty() && line.back() == ':') kv[line.substr(0, line.size() - 1)] = "";
            continue;
        }
        kv[line.substr(0, colon)] = line.substr(colon + 2);
    }
    return kv;
}

inline std::string FormatAddr(const IpAddr& a, bool v6) {
    char buf[INET6_ADDRSTRLEN];
    if (!v6) {
        const uint32_t v = a.v4();
        std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255,
                      v & 255);
        return buf;
    }
    uint8_t bytes[16];
    a.ToBytes(bytes);
    ::inet_ntop(AF_INET6, bytes, buf, sizeof(buf));
    return buf;
}

inline std::string FormatUtc(uint64_t ms, bool with_ms) {
    const time_t secs = static_cast<time_t>(ms / 1000);
    struct tm tm;
    ::gmtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    std::string s = buf;
    if (with_ms) {
        std::snprintf(buf, sizeof(buf), ".%03u", static_cast<unsigned>(ms % 1000));
        s += buf;
    }
    return s;
}

inline std::string FormatMac(uint64_t mac) {
    char buf[32];
    std::snprintf(
        buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>((mac >> 40) & 255),
        static_cast<unsigned>((mac >> 32) & 255), static_cast<unsigned>((mac >> 24) & 255),
        static_cast<unsigned>((mac >> 16) & 255), static_cast<unsigned>((mac >> 8) & 255),
        static_cast<unsigned>(mac & 255));
    return buf;
}

inline std::string FormatFlags(uint8_t f) {
    std::string s = "........";
    const char* names = "CEUAPRSF";
    for (int i = 0; i < 8; ++i) {
        if (f & (0x80 >> i)) s[i] = names[i];
    }
    return s;
}

// Protocol names nfdump prints for the protocols in our corpus; "" means "do not compare".
inline std::string ProtoName(uint8_t p) {
    switch (p) {
        case 1:
            return "ICMP";
        case 2:
            return "IGMP";
        case 4:
            return "IPIP";
        case 6:
            return "TCP";
        case 17:
            return "UDP";
        case 41:
            return "IPv6";
        case 58:
            return "ICMP6";
        case 112:
            return "VRRP";
        default:
            return "";
    }
}

// True when column `col` of nfdump 1.7.1's csv is known to differ from the stored value of
// `r` for reasons that belong to nfdump's printing, not to the file:
//  - col 24 (nhb): for an IPv6 BGP next hop, 1.6.25 and 1.7.1 print the IP next hop's
//    value in IPv6 form;
//  - cols 25, 26 (vlans): printed as 16-bit values;
//  - cols 0 and 2 (ts, td): event records without a start time, where our reader (like
//    nfdump 1.7.8) uses the event time and 1.7.1 prints 0;
//  - cols 3, 4 (addresses): a record with both address elements, where 1.7.1 prints the
//    IPv6 one (the same IPv4 address as ::a.b.c.d, or an empty "::") and we keep the one
//    nfdump 1.7.8 keeps.
inline std::string FormatAddr(const IpAddr& a, bool v6);
inline bool KnownCsvQuirk(const FlowRecord& r, size_t col, const std::string& want) {
    switch (col) {
        case 0:
        case 2: {
            const bool event = r.Has(kExNselCommon) || r.Has(kExNatCommon);
            return event && r.first_ms == r.event_ms && r.first_ms != 0;
        }
        case 3:
        case 4: {
            const IpAddr& a = col == 3 ? r.src_addr : r.dst_addr;
            return want == "::" || (!r.IsV6() && want == "::" + FormatAddr(a, false));
        }
        case 24:
            return r.Has(kExBgpNextHopV6) && want == FormatAddr(r.ip_next_hop, true);
        case 25:
            return want == std::to_string(r.src_vlan & 0xffff);
        case 26:
            return want == std::to_string(r.dst_vlan & 0xffff);
        default:
            return false;
    }
}

// The 48 csv columns of nfdump 1.6 / 1.7.1 (`-o csv`) for `r`.
inline std::vector<std::string> CsvColumns(const FlowRecord& r) {
    std::vector<std::string> c;
    char buf[64];
    auto num = [&](uint64_t v) { c.push_back(std::to_string(v)); };
    c.push_back(FormatUtc(r.first_ms, false));
    c.push_back(FormatUtc(r.last_ms, false));
    // nfdump computes the duration unsigned: an end before the start wraps around.
    const uint64_t dur = r.last_ms - r.first_ms;
    std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(dur) / 1000.0);
    c.push_back(buf);
    c.push_back(FormatAddr(r.src_addr, r.IsV6()));
    c.push_back(FormatAddr(r.dst_addr, r.IsV6()));
    num(r.src_port);
    num(r.dst_port);
    c.push_back(ProtoName(r.proto));
    c.push_back(FormatFlags(r.tcp_flags));
    num(r.fwd_status);
    num(r.src_tos);
    num(r.packets);
    num(r.bytes);
    num(r.out_packets);
    num(r.out_bytes);
    num(r.input);
    num(r.output);
    num(r.src_as);
    num(r.dst_as);
    num(r.src_mask);
    num(r.dst_mask);
    num(r.dst_tos);
    num(r.dir);
    c.push_back(FormatAddr(r.ip_next_hop, r.Has(kExIpNextHopV6)));
    c.push_back(FormatAddr(r.bgp_next_hop, r.Has(kExBgpNextHopV6)));
    num(r.src_vlan);
    num(r.dst_vlan);
    c.push_back(FormatMac(r.in_src_mac));
    c.push_back(FormatMac(r.out_dst_mac));
    c.push_back(FormatMac(r.in_dst_mac));
    c.push_back(FormatMac(r.out_src_mac));
    for (int i = 0; i < 10; ++i) {
        std::snprintf(buf, sizeof(buf), "%u-%u-%u", r.mpls[i] >> 4, (r.mpls[i] >> 1) & 7,
                      r.mpls[i] & 1);
        c.push_back(buf);
    }
    for (uint64_t us : {r.client_nw_delay_us, r.server_nw_delay_us, r.appl_latency_us}) {
        std::snprintf(buf, sizeof(buf), "%9.3f", static_cast<double>(us) / 1000.0);
        c.push_back(buf);
    }
    c.push_back(FormatAddr(r.received_from, r.Has(kExIpReceivedV6)));
    std::snprintf(buf, sizeof(buf), "%u/%u", r.engine_type, r.engine_id);
    c.push_back(buf);
    num(r.exporter_sysid);
    c.push_back(FormatUtc(r.received_ms, true));
    return c;
}

inline std::vector<std::string> SplitCsv(const std::string& line) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        const size_t comma = line.find(',', start);
        out.push_back(line.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

// Runs `cmd` and returns its standard output ("" if it could not run).
inline std::string RunCommand(const std::string& cmd, int* exit_status = nullptr) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    const int rc = ::pclose(p);
    if (exit_status != nullptr) *exit_status = rc;
    return out;
}

inline std::vector<std::string> SplitLines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

}  // namespace flow::testing

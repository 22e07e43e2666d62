// SPDX-License-Identifier: BSD-2-Clause
// Runs Debian's nfdump 1.7.1 and compares its `-o raw` output with our FlowRecords label by
// label, for the oracle tests.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "nffile/nffile_test_util.h"
#include "nffile/records.h"

namespace flow::testing {

inline bool HaveNfdump() { return FileExists("/usr/bin/nfdump"); }

inline std::string Nfdump(const std::string& args, int* rc = nullptr) {
    return RunCommand("TZ=UTC /usr/bin/nfdump " + args + " 2>/dev/null", rc);
}

// One "Flow Record:" block of `nfdump -o raw`: (label, value) in printed order.
using RawRecord = std::vector<std::pair<std::string, std::string>>;

inline std::vector<RawRecord> ParseRaw(const std::string& text) {
    std::vector<RawRecord> out;
    for (const std::string& line : SplitLines(text)) {
        if (line.rfind("Flow Record:", 0) == 0) {
            out.emplace_back();
            continue;
        }
        if (out.empty() || line.size() < 4 || line[0] != ' ' || line[1] != ' ') continue;
        const size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string label = line.substr(2, eq - 2);
        while (!label.empty() && label.back() == ' ') label.pop_back();
        size_t v = eq + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        out.back().emplace_back(label, line.substr(v));
    }
    return out;
}

// The value's first word without a trailing ':' ("1001: I-ACL" -> "1001").
inline std::string FirstToken(const std::string& s) {
    std::string t = s.substr(0, s.find(' '));
    if (!t.empty() && t.back() == ':') t.pop_back();
    return t;
}

// Numeric tokens compare by value (nfdump pads hex differently per field).
inline bool SameNumber(const std::string& token, uint64_t want) {
    if (token.empty()) return false;
    char* end = nullptr;
    const uint64_t v = std::strtoull(token.c_str(), &end, 0);
    return *end == '\0' && v == want;
}

inline std::string Ms3(uint64_t us) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.3f ms", static_cast<double>(us) / 1000.0);
    return buf;
}

// Checks one raw label of nfdump against `r`. Returns false for a mismatch; labels we do
// not model are accepted. `event_seen` counts "Event time" lines (NSEL, then NAT).
inline bool CheckRawLabel(const FlowRecord& r, const std::string& label, const std::string& value,
                          std::string* why) {
    const std::string tok = FirstToken(value);
    auto num = [&](uint64_t want) {
        if (SameNumber(tok, want)) return true;
        *why = label + ": nfdump " + value + ", ours " + std::to_string(want);
        return false;
    };
    auto text = [&](const std::string& want) {
        if (value == want) return true;
        *why = label + ": nfdump '" + value + "', ours '" + want + "'";
        return false;
    };
    const bool v6 = r.IsV6();
    if (label == "Flags") return num(r.flags);
    if (label == "engine type") return num(r.engine_type);
    if (label == "engine ID") return num(r.engine_id);
    if (label == "export sysid") return num(r.exporter_sysid);
    if (label == "first") return num(r.first_ms);
    if (label == "last") return num(r.last_ms);
    if (label == "received at") return num(r.received_ms);
    if (label == "proto") return num(r.proto);
    if (label == "tcp flags") return num(r.tcp_flags);
    if (label == "src port") return num(r.src_port);
    if (label == "dst port") return num(r.dst_port);
    if (label == "ICMP") {
        const std::string want =
            std::to_string(r.dst_port >> 8) + "." + std::to_string(r.dst_port & 255);
        if (tok == want) return true;
        *why = "ICMP: nfdump " + value + ", ours " + want;
        return false;
    }
    if (label == "src tos") return num(r.src_tos);
    if (label == "in packets") return num(r.packets);
    if (label == "in bytes") return num(r.bytes);
    if (label == "src addr") return text(FormatAddr(r.src_addr, v6));
    if (label == "dst addr") return text(FormatAddr(r.dst_addr, v6));
    if (label == "input") return num(r.input);
    if (label == "output") return num(r.output);
    if (label == "src mask") return num(r.src_mask);
    if (label == "dst mask") return num(r.dst_mask);
    if (label == "fwd status") return num(r.fwd_status);
    // NOTE: 1.7.1's raw printer shows the source ToS under "dst tos".
    if (label == "dst tos") return num(r.src_tos);
    if (label == "direction") return num(r.dir);
    if (label == "biFlow Dir") return num(r.biflow_dir);
    if (label == "end reason") return num(r.end_reason);
    if (label == "out packets") return num(r.out_packets);
    if (label == "out bytes") return num(r.out_bytes);
    if (label == "aggr flows") return num(r.flows);
    // 1.7.1 keeps VLAN ids in 16 bits.
    if (label == "src vlan") return num(r.src_vlan & 0xffff);
    if (label == "dst vlan") return num(r.dst_vlan & 0xffff);
    if (label == "src as") return num(r.src_as);
    if (label == "dst as") return num(r.dst_as);
    if (label == "bgp next hop") return text(FormatAddr(r.bgp_next_hop, r.Has(kExBgpNextHopV6)));
    if (label == "ip next hop") return text(FormatAddr(r.ip_next_hop, r.Has(kExIpNextHopV6)));
    if (label == "ip exporter") {
        return text(FormatAddr(r.received_from, r.Has(kExIpReceivedV6)));
    }
    if (label.rfind("MPLS Lbl", 0) == 0) {
        const int k = std::atoi(label.c_str() + 8) - 1;
        if (k < 0 || k > 9) return false;
        const uint32_t m = r.mpls[k];
        return text(std::to_string(m >> 4) + "-" + std::to_string((m >> 1) & 7) + "-" +
                    std::to_string(m & 1));
    }
    if (label == "in src mac") return text(FormatMac(r.in_src_mac));
    if (label == "out dst mac") return text(FormatMac(r.out_dst_mac));
    if (label == "in dst mac") return text(FormatMac(r.in_dst_mac));
    if (label == "out src mac") return text(FormatMac(r.out_src_mac));
    if (label == "bgp next as") return num(r.next_as);
    if (label == "bgp prev as") return num(r.prev_as);
    if (label == "cli latency") return text(Ms3(r.client_nw_delay_us));
    if (label == "srv latency") return text(Ms3(r.server_nw_delay_us));
    if (label == "app latency") return text(Ms3(r.appl_latency_us));
    if (label == "connect ID") return num(r.conn_id);
    if (label == "fw ext event") return num(r.fw_xevent);
    if (label == "Event time") return num(r.event_ms);
    if (label == "src xlt ip") {
        return text(FormatAddr(r.xlate_src, r.Has(kExNatXlateIpv6)));
    }
    if (label == "dst xlt ip") {
        return text(FormatAddr(r.xlate_dst, r.Has(kExNatXlateIpv6)));
    }
    if (label == "src xlt port") return num(r.xlate_src_port);
    if (label == "dst xlt port") return num(r.xlate_dst_port);
    if (label == "Ingress ACL" || label == "Egress ACL") {
        const uint32_t* a = label[0] == 'I' ? r.ingress_acl : r.egress_acl;
        char buf[64];
        std::snprintf(buf, sizeof(buf), "0x%x/0x%x/0x%x", a[0], a[1], a[2]);
        return text(buf);
    }
    if (label == "username") return text(r.username);
    if (label == "pblock start") return num(r.block_start);
    if (label == "pblock end") return num(r.block_end);
    if (label == "pblock step") return num(r.block_step);
    if (label == "pblock size") return num(r.block_size);
    if (label == "obs domainID") return num(r.observation_domain);
    if (label == "obs pointID") return num(r.observation_point);
    if (label == "ingress VRF") return num(r.ingress_vrf);
    if (label == "egress VRF") return num(r.egress_vrf);
    if (label == "tun proto") return num(r.tun_proto);
    if (label == "tun src addr") return text(FormatAddr(r.tun_src, r.Has(kExTunIpv6)));
    if (label == "tun dst addr") return text(FormatAddr(r.tun_dst, r.Has(kExTunIpv6)));
    return true;
}

// Compares nfdump's raw output of `path` with `records`; returns mismatches (first few
// reported). "fw event" and "nat event" share one field in 1.7.1 and are not compared.
inline size_t CompareRaw(const std::string& path, const std::vector<FlowRecord>& records,
                         bool check_elements, const std::vector<std::string>& ignore = {}) {
    const std::vector<RawRecord> raw = ParseRaw(Nfdump("-q -o raw -r '" + path + "'"));
    REQUIRE(raw.size() == records.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
        const FlowRecord& r = records[i];
        // A label printed twice (an element present in both families, or the NSEL and the
        // NAT event time) passes when one of its values matches.
        std::map<std::string, std::pair<bool, std::string>> verdict;
        for (const auto& [label, value] : raw[i]) {
            if (std::find(ignore.begin(), ignore.end(), label) != ignore.end()) continue;
            std::string why;
            bool ok = CheckRawLabel(r, label, value, &why);
            if (label == "Elements" && check_elements) {
                // Our writer's element ids (nfdump prints them sorted by id).
                uint8_t buf[nffile::kMaxV3RecordSize];
                const size_t size = nffile::EncodeV3(r, buf);
                std::vector<int> ids;
                for (size_t off = 12; off < size;) {
                    ids.push_back(buf[off] | buf[off + 1] << 8);
                    off += static_cast<size_t>(buf[off + 2] | buf[off + 3] << 8);
                }
                std::sort(ids.begin(), ids.end());
                std::string want = std::to_string(ids.size()) + ":";
                for (int id : ids) want += " " + std::to_string(id);
                want += " ";
                ok = value == want;
                why = "Elements: nfdump '" + value + "', ours '" + want + "'";
            }
            auto [it, fresh] = verdict.try_emplace(label, ok, why);
            if (!fresh && ok) it->second.first = true;
        }
        for (const auto& [label, v] : verdict) {
            if (v.first) continue;
            if (mismatches < 5) {
                CAPTURE(path, i, v.second);
                CHECK(v.first);
            }
            ++mismatches;
        }
    }
    return mismatches;
}

}  // namespace flow::testing

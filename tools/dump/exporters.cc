// SPDX-License-Identifier: BSD-2-Clause
// -E FILE: the exporters and samplers a file describes, one line each, in nfdump's layout.
// -x FILE: the extension maps of an nfdump 1.6 file, as nfdump lists them.
#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <vector>

#include "flow/format_util.h"
#include "flow/nffile.h"
#include "query.h"

namespace flowdump {

namespace {

// nfdump 1.7.1 indents the samplers of an IPv6 exporter one column further.
void PrintSampler(const flow::SamplerInfo& s, bool v6_exporter) {
    std::printf(v6_exporter ? "     Sampler: " : "    Sampler: ");
    switch (s.id) {
        case flow::SamplerInfo::kGeneric:
            std::printf("Generic Sampler: ");
            break;
        case flow::SamplerInfo::kDefault:
            std::printf("Static default Sampler: ");
            break;
        case flow::SamplerInfo::kForced:
            std::printf("Static overwrite Sampler: ");
            break;
        default:
            std::printf("Assigned Sampler: id: %" PRId64 ", ", s.id);
            break;
    }
    std::printf("algorithm: %u, packet interval: %u, packet space: %u\n", s.algorithm,
                s.packet_interval, s.space_interval);
}

// Reads every block and record of `r` (the file at `path`) for what the reader gathers on
// the way, naming each damage on stderr: 0, or 1 when something was damaged.
int ReadThrough(const std::string& path, flow::NfFileReader& r) {
    int rc = 0;
    flow::FlowRecord rec;
    for (;;) {
        flow::Result<bool> more = r.NextBlock();
        if (!more.ok()) {
            FileError(path, more.status());
            rc = 1;
            continue;
        }
        if (!*more) break;
        while (r.NextRecord(&rec)) {
        }
    }
    return rc;
}

// The layout 1 extensions by id (4-48): the option group nfcapd 1.6 enabled them by (its
// -T numbers, which nfdump -x prints as "ID") and the name nfdump -x prints.
struct ExtensionName {
    uint8_t group;
    const char* name;
};
constexpr ExtensionName kExtensionNames[] = {
    {1, "2 byte input/output interface index"},  // 4
    {1, "4 byte input/output interface index"},
    {2, "2 byte src/dst AS number"},
    {2, "4 byte src/dst AS number"},
    {3, "dst tos, direction, src/dst mask"},
    {4, "IPv4 next hop"},
    {4, "IPv6 next hop"},  // 10
    {5, "IPv4 BGP next IP"},
    {5, "IPv6 BGP next IP"},
    {6, "src/dst vlan id"},
    {7, "4 byte output packets"},
    {7, "8 byte output packets"},
    {8, "4 byte output bytes"},
    {8, "8 byte output bytes"},
    {9, "4 byte aggregated flows"},
    {9, "8 byte aggregated flows"},
    {10, "in src/out dst mac address"},  // 20
    {11, "in dst/out src mac address"},
    {12, "MPLS Labels"},
    {13, "IPv4 router IP addr"},
    {13, "IPv6 router IP addr"},
    {14, "router ID"},
    {15, "BGP adjacent prev/next AS"},
    {16, "time packet received"},
    {0, nullptr},  // 28-36: reserved
    {0, nullptr},
    {0, nullptr},  // 30
    {0, nullptr},
    {0, nullptr},
    {0, nullptr},
    {0, nullptr},
    {0, nullptr},
    {0, nullptr},
    {26, "NSEL Common block"},
    {27, "NSEL xlate ports"},
    {28, "NSEL xlate IPv4 addr"},
    {28, "NSEL xlate IPv6 addr"},  // 40
    {29, "NSEL ACL ingress/egress acl ID"},
    {30, "NSEL username"},
    {30, "NSEL max username"},
    {0, nullptr},  // 44: reserved
    {64, "nprobe/nfpcapd latency"},
    {31, "NEL Common block"},
    {0, "Compat NEL IPv4"},
    {32, "NAT Port Block Allocation"},  // 48
};
constexpr uint16_t kFirstExtension = 4;
static_assert(sizeof(kExtensionNames) / sizeof(kExtensionNames[0]) == 48 - kFirstExtension + 1,
              "one entry per extension id 4-48");

}  // namespace

int RunExtensionMaps(const std::string& path) {
    std::vector<flow::ExtensionMapRecord> maps;
    flow::ReaderOptions options;
    options.on_extension_map = [&maps](const flow::ExtensionMapRecord& m) { maps.push_back(m); };
    auto reader = flow::NfFileReader::Open(path, options);
    if (!reader.ok()) {
        FileError(path, reader.status());
        return 1;
    }
    const int rc = ReadThrough(path, **reader);
    std::printf("\nDump all extension maps:\n========================\n");
    if (maps.empty()) std::printf("No 1.6.x extension definition records\n");
    for (const flow::ExtensionMapRecord& m : maps) {
        std::printf("Extension Map:\n  Map ID   = %u\n  Map Size = %u\n  Ext Size = %u\n",
                    m.map_id, m.size, m.extension_size);
        for (uint16_t id : m.ids) {
            const bool known = id >= kFirstExtension && id - kFirstExtension <
                                   static_cast<int>(std::size(kExtensionNames));
            const ExtensionName* e = known ? &kExtensionNames[id - kFirstExtension] : nullptr;
            std::printf("  ID %3u, ext %3u = %s\n", e != nullptr ? e->group : 0u, id,
                        e != nullptr && e->name != nullptr ? e->name : "unknown extension");
        }
        std::printf("\n");
    }
    return rc;
}

int RunExporterList(const std::string& path) {
    auto reader = flow::NfFileReader::Open(path);
    if (!reader.ok()) {
        FileError(path, reader.status());
        return 1;
    }
    flow::NfFileReader& r = **reader;
    // Exporter, statistics and sampler records may sit anywhere in the file: read it whole.
    const int rc = ReadThrough(path, r);

    // A file without exporter records (libnf, nfdump -w from them) says so, as nfdump does.
    if (r.exporters().empty()) {
        std::printf("Exporters:\nNo Exporter records found\n\n");
        return rc;
    }
    std::printf("Exporters:\n\n");
    char ip[64];
    for (const flow::ExporterInfo& e : r.exporters()) {
        ip[flow::output::FormatIp(e.ip, e.is_v6, ip)] = '\0';
        std::printf("SysID: %u, IP: %*s, version: %u, ID: %2u", e.sysid, e.is_v6 ? 40 : 16, ip,
                    e.version, e.id);
        if (e.flows == 0) {
            std::printf(" - no flows sent\n");
        } else {
            std::printf(", Sequence failures: %" PRIu64 ", packets: %" PRIu64
                        ", flows: %" PRIu64 "\n",
                        e.sequence_failures, e.packets, e.flows);
        }
        for (const flow::SamplerInfo& s : r.samplers()) {
            if (s.exporter_sysid == e.sysid) PrintSampler(s, e.is_v6);
        }
    }
    return rc;
}

}  // namespace flowdump

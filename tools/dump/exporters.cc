// SPDX-License-Identifier: BSD-2-Clause
// -E FILE: the exporters and samplers a file describes, one line each, in nfdump's layout.
#include <cinttypes>
#include <cstdio>

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

}  // namespace

int RunExporterList(const std::string& path) {
    auto reader = flow::NfFileReader::Open(path);
    if (!reader.ok()) {
        FileError(path, reader.status());
        return 1;
    }
    flow::NfFileReader& r = **reader;
    // Exporter, statistics and sampler records may sit anywhere in the file: read it whole.
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

// SPDX-License-Identifier: BSD-2-Clause
// Deterministic sample traffic: a small model of a router's flows (clients, servers,
// services, heavy-tailed sizes) encoded as NetFlow v5 (Cisco layout), NetFlow v9
// (RFC 3954) or IPFIX (RFC 7011). Uses only the raw 64-bit output of std::mt19937_64, whose
// sequence the standard fixes, so the same seed gives the same bytes everywhere.
#include "flow/sample_exporter.h"

#include <algorithm>
#include <random>

namespace flow::wire {

namespace {

constexpr size_t kMaxDatagramBytes = 1400;
constexpr size_t kTemplateRepeat = 20;  // datagrams between template refreshes
constexpr size_t kV5MaxRecords = 30;
constexpr uint16_t kTemplateV4 = 256;
constexpr uint16_t kTemplateV6 = 257;
constexpr uint16_t kTemplateOptions = 258;

struct Service {
    uint8_t proto;
    uint16_t port;
    uint16_t min_size;  // bytes per packet
    uint16_t max_size;
};

// A plausible mix: web, DNS, NTP, SSH, mail, QUIC, ICMP echo.
constexpr Service kServices[] = {
    {6, 443, 60, 1500}, {6, 443, 60, 1500},  {6, 80, 60, 1500},
    {17, 53, 60, 300},  {17, 123, 76, 76},   {6, 22, 52, 400},
    {6, 25, 60, 1500},  {17, 443, 80, 1350}, {1, 0x0800, 84, 84},
};

struct SampleFlow {
    bool v6 = false;
    uint8_t src[16] = {};
    uint8_t dst[16] = {};
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint8_t proto = 0;
    uint8_t tcp_flags = 0;
    uint8_t tos = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint32_t first_uptime = 0;  // ms of exporter uptime
    uint32_t last_uptime = 0;
    uint32_t input = 0;
    uint32_t output = 0;
    uint32_t src_as = 0;
    uint32_t dst_as = 0;
    uint8_t src_mask = 0;
    uint8_t dst_mask = 0;
    uint8_t next_hop[16] = {};
};

class Model {
public:
    explicit Model(uint64_t seed) : rng_(seed) {}

    uint64_t Next() { return rng_(); }
    uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

    // A flow that ended within the minute before `uptime_ms`.
    SampleFlow Make(bool v6, uint32_t uptime_ms) {
        SampleFlow f;
        f.v6 = v6;
        const Service& s = kServices[Below(std::size(kServices))];
        const bool outbound = Below(2) == 0;  // client inside or outside
        uint8_t client[16] = {};
        uint8_t server[16] = {};
        if (v6) {
            const uint8_t inside[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
            const uint8_t outside[6] = {0x20, 0x01, 0x0d, 0xb8, 0xbe, 0xef};
            std::copy(inside, inside + 6, client);
            std::copy(outside, outside + 6, server);
            client[15] = static_cast<uint8_t>(1 + Below(200));
            server[14] = static_cast<uint8_t>(Below(4));
            server[15] = static_cast<uint8_t>(1 + Below(50));
        } else {
            client[0] = 10;
            client[1] = static_cast<uint8_t>(Below(4));
            client[2] = static_cast<uint8_t>(Below(16));
            client[3] = static_cast<uint8_t>(1 + Below(250));
            // Documentation ranges for the servers.
            const uint8_t nets[3][3] = {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}};
            const auto& net = nets[Below(3)];
            std::copy(net, net + 3, server);
            server[3] = static_cast<uint8_t>(1 + Below(50));
        }
        const uint16_t ephemeral = static_cast<uint16_t>(32768 + Below(28000));
        const uint8_t* src = outbound ? client : server;
        const uint8_t* dst = outbound ? server : client;
        std::copy(src, src + 16, f.src);
        std::copy(dst, dst + 16, f.dst);
        f.proto = s.proto == 1 && v6 ? 58 : s.proto;
        if (s.proto == 1) {
            f.dst_port = v6 ? 0x8000 : (outbound ? 0x0800 : 0x0000);  // echo request / reply
        } else {
            f.src_port = outbound ? ephemeral : s.port;
            f.dst_port = outbound ? s.port : ephemeral;
        }
        if (f.proto == 6) {
            const uint8_t flag_sets[] = {0x1b, 0x1b, 0x18, 0x10, 0x02, 0x12, 0x11, 0x14};
            f.tcp_flags = flag_sets[Below(std::size(flag_sets))];
        }
        f.tos = Below(10) == 0 ? 0xb8 : 0;

        // Heavy-tailed packet counts: most flows are small, a few are large.
        const uint64_t scale = uint64_t{1} << Below(12);
        f.packets = 1 + Below(scale);
        f.bytes = 0;
        const uint16_t span = static_cast<uint16_t>(s.max_size - s.min_size);
        f.bytes = f.packets * (s.min_size + Below(span + 1u));

        const uint32_t age = static_cast<uint32_t>(Below(60000));
        const uint32_t duration = f.packets == 1 ? 0 : static_cast<uint32_t>(Below(30000));
        f.last_uptime = uptime_ms - age;
        f.first_uptime = f.last_uptime - std::min(duration, f.last_uptime);

        f.input = outbound ? 2 : 1;
        f.output = outbound ? 1 : 2;
        f.src_as = outbound ? 0 : static_cast<uint32_t>(64496 + Below(16));
        f.dst_as = outbound ? static_cast<uint32_t>(64496 + Below(16)) : 0;
        f.src_mask = v6 ? 48 : 24;
        f.dst_mask = v6 ? 48 : 24;
        if (v6) {
            const uint8_t hop[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
            std::copy(hop, hop + 16, f.next_hop);
        } else {
            const uint8_t hop[4] = {10, 255, 0, 1};
            std::copy(hop, hop + 4, f.next_hop);
        }
        return f;
    }

private:
    std::mt19937_64 rng_;
};

class Out {
public:
    Out& U8(uint64_t v) {
        b_.push_back(static_cast<uint8_t>(v));
        return *this;
    }
    Out& U16(uint64_t v) { return U8(v >> 8).U8(v); }
    Out& U32(uint64_t v) { return U16(v >> 16).U16(v); }
    Out& U64(uint64_t v) { return U32(v >> 32).U32(v); }
    Out& Bytes(const uint8_t* p, size_t n) {
        b_.insert(b_.end(), p, p + n);
        return *this;
    }
    void Patch16(size_t at, uint64_t v) {
        b_[at] = static_cast<uint8_t>(v >> 8);
        b_[at + 1] = static_cast<uint8_t>(v);
    }
    size_t size() const { return b_.size(); }
    std::vector<uint8_t>& bytes() { return b_; }

private:
    std::vector<uint8_t> b_;
};

// Field lists of the two data templates, shared by v9 and IPFIX except for the times:
// v9 sends uptime stamps (#22/#21), IPFIX absolute milliseconds (#152/#153).
struct Spec {
    uint16_t id;
    uint16_t length;
};
constexpr Spec kCommonHead[] = {{7, 2}, {11, 2}, {4, 1}, {6, 1}, {5, 1}, {1, 8}, {2, 8}};
constexpr Spec kCommonTail[] = {{10, 4}, {14, 4}, {16, 4}, {17, 4}};

void WriteTemplateFields(Out* o, bool v6, bool ipfix) {
    o->U16(v6 ? 27 : 8).U16(v6 ? 16 : 4);
    o->U16(v6 ? 28 : 12).U16(v6 ? 16 : 4);
    for (const Spec& s : kCommonHead) o->U16(s.id).U16(s.length);
    o->U16(ipfix ? 152 : 22).U16(ipfix ? 8 : 4);
    o->U16(ipfix ? 153 : 21).U16(ipfix ? 8 : 4);
    for (const Spec& s : kCommonTail) o->U16(s.id).U16(s.length);
    o->U16(v6 ? 29 : 9).U16(1);
    o->U16(v6 ? 30 : 13).U16(1);
    o->U16(v6 ? 62 : 15).U16(v6 ? 16 : 4);
}

constexpr size_t kTemplateFieldCount = 2 + std::size(kCommonHead) + 2 + std::size(kCommonTail) + 3;

size_t RecordLength(bool v6, bool ipfix) {
    const size_t addr = v6 ? 16 : 4;
    return 3 * addr + 2 + 2 + 1 + 1 + 1 + 8 + 8 + (ipfix ? 16 : 8) + 16 + 2;
}

void WriteRecord(Out* o, const SampleFlow& f, bool ipfix, uint64_t boot_ms) {
    const size_t addr = f.v6 ? 16 : 4;
    o->Bytes(f.src, addr);
    o->Bytes(f.dst, addr);
    o->U16(f.src_port);
    o->U16(f.dst_port);
    o->U8(f.proto);
    o->U8(f.tcp_flags);
    o->U8(f.tos);
    o->U64(f.bytes);
    o->U64(f.packets);
    if (ipfix) {
        o->U64(boot_ms + f.first_uptime);
        o->U64(boot_ms + f.last_uptime);
    } else {
        o->U32(f.first_uptime);
        o->U32(f.last_uptime);
    }
    o->U32(f.input);
    o->U32(f.output);
    o->U32(f.src_as);
    o->U32(f.dst_as);
    o->U8(f.src_mask);
    o->U8(f.dst_mask);
    o->Bytes(f.next_hop, addr);
}

// Template (and sampling options) sets. Options: v9 scope System, IPFIX scope
// observationDomainId; fields samplingInterval (#34) and samplingAlgorithm (#35).
void WriteTemplates(Out* o, const SampleOptions& opt, bool ipfix) {
    const size_t set = o->size();
    o->U16(ipfix ? 2 : 0).U16(0);
    for (bool v6 : {false, true}) {
        o->U16(v6 ? kTemplateV6 : kTemplateV4).U16(kTemplateFieldCount);
        WriteTemplateFields(o, v6, ipfix);
    }
    o->Patch16(set + 2, o->size() - set);
    if (opt.sampling_interval <= 1) return;

    const size_t oset = o->size();
    if (ipfix) {
        o->U16(3).U16(0).U16(kTemplateOptions).U16(3).U16(1);
        o->U16(149).U16(4).U16(34).U16(4).U16(35).U16(1);
    } else {
        o->U16(1).U16(0).U16(kTemplateOptions).U16(4).U16(8);
        o->U16(1).U16(4).U16(34).U16(4).U16(35).U16(1);
    }
    o->Patch16(oset + 2, o->size() - oset);
    const size_t dset = o->size();
    o->U16(kTemplateOptions).U16(0);
    o->U32(ipfix ? opt.source_id : 0);
    o->U32(opt.sampling_interval);
    o->U8(2);  // random sampling
    while ((o->size() - dset) % 4 != 0) o->U8(0);
    o->Patch16(dset + 2, o->size() - dset);
}

std::vector<SampleDatagram> GenerateV5(const SampleOptions& opt, Model* model) {
    std::vector<SampleDatagram> out;
    uint32_t sequence = 0;
    size_t left = opt.flows;
    for (size_t i = 0; left > 0; ++i) {
        const size_t n = std::min(left, kV5MaxRecords);
        const uint64_t export_ms = opt.export_time_ms + i * 1000;
        const uint32_t uptime = static_cast<uint32_t>(opt.uptime_ms + i * 1000);
        Out o;
        o.U16(5).U16(n).U32(uptime).U32(export_ms / 1000).U32((export_ms % 1000) * 1000000);
        o.U32(sequence).U8(0).U8(opt.source_id);
        const uint32_t interval = std::min<uint32_t>(opt.sampling_interval, 0x3fff);
        o.U16(interval > 1 ? 0x4000 | interval : 0);
        for (size_t k = 0; k < n; ++k) {
            const SampleFlow f = model->Make(false, uptime);
            o.Bytes(f.src, 4);
            o.Bytes(f.dst, 4);
            o.Bytes(f.next_hop, 4);
            o.U16(f.input).U16(f.output);
            // v5 counters are 32 bits; the model's flows fit.
            o.U32(f.packets).U32(f.bytes).U32(f.first_uptime).U32(f.last_uptime);
            o.U16(f.src_port).U16(f.dst_port).U8(0).U8(f.tcp_flags).U8(f.proto).U8(f.tos);
            o.U16(f.src_as).U16(f.dst_as).U8(f.src_mask).U8(f.dst_mask).U16(0);
        }
        sequence += static_cast<uint32_t>(n);
        left -= n;
        out.push_back({std::move(o.bytes()), export_ms, n});
    }
    return out;
}

std::vector<SampleDatagram> GenerateTemplated(const SampleOptions& opt, Model* model, bool ipfix) {
    std::vector<SampleDatagram> out;
    uint32_t sequence = 0;  // v9: packets; IPFIX: data records
    size_t left = opt.flows;
    for (size_t i = 0; left > 0 || i == 0; ++i) {
        const uint64_t export_ms = opt.export_time_ms + i * 1000;
        const uint32_t uptime = static_cast<uint32_t>(opt.uptime_ms + i * 1000);
        const uint64_t boot_ms = (export_ms / 1000) * 1000 - uptime;
        Out o;
        if (ipfix) {
            o.U16(10).U16(0).U32(export_ms / 1000).U32(sequence).U32(opt.source_id);
        } else {
            o.U16(9).U16(0).U32(uptime).U32(export_ms / 1000).U32(sequence).U32(opt.source_id);
        }
        size_t records = 0;
        if (i % kTemplateRepeat == 0) {
            WriteTemplates(&o, opt, ipfix);
            records = opt.sampling_interval > 1 ? 3 : 2;  // v9 count: templates + options
        }

        // Data sets: one per family in use, filled up to the datagram budget.
        size_t flows = 0;
        size_t set = 0;
        bool set_v6 = false;
        while (left > 0) {
            const bool v6 = static_cast<double>(model->Below(1000)) < opt.ipv6_share * 1000.0;
            const size_t need = RecordLength(v6, ipfix) + (set == 0 || set_v6 != v6 ? 4 : 0);
            if (o.size() + need > kMaxDatagramBytes) break;
            if (set == 0 || set_v6 != v6) {
                if (set != 0) o.Patch16(set + 2, o.size() - set);
                set = o.size();
                set_v6 = v6;
                o.U16(v6 ? kTemplateV6 : kTemplateV4).U16(0);
            }
            WriteRecord(&o, model->Make(v6, uptime), ipfix, boot_ms);
            ++flows;
            --left;
        }
        if (set != 0) o.Patch16(set + 2, o.size() - set);
        if (ipfix) {
            o.Patch16(2, o.size());
            sequence += static_cast<uint32_t>(
                flows + (i % kTemplateRepeat == 0 && opt.sampling_interval > 1));
        } else {
            o.Patch16(2, records + flows);
            ++sequence;
        }
        out.push_back({std::move(o.bytes()), export_ms, flows});
    }
    return out;
}

}  // namespace

std::vector<SampleDatagram> GenerateSampleTraffic(const SampleOptions& options) {
    Model model(options.seed);
    switch (options.version) {
        case 5:
            return GenerateV5(options, &model);
        case 9:
            return GenerateTemplated(options, &model, false);
        case 10:
            return GenerateTemplated(options, &model, true);
        default:
            return {};
    }
}

}  // namespace flow::wire

// SPDX-License-Identifier: BSD-2-Clause
// Deterministic sample traffic: a small model of a router's flows (clients, servers,
// services, heavy-tailed sizes) encoded as NetFlow v5 (Cisco layout), NetFlow v9
// (RFC 3954) or IPFIX (RFC 7011). Uses only the raw 64-bit output of std::mt19937_64, whose
// sequence the standard fixes, so the same seed gives the same bytes everywhere.
#include "flow/sample_exporter.h"

#include <algorithm>
#include <cassert>
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

// Field lists of the two data templates, shared by v9 and IPFIX except for the times:
// v9 sends uptime stamps (#22/#21), IPFIX absolute milliseconds (#152/#153).
struct Spec {
    uint16_t id;
    uint16_t length;
};
constexpr Spec kCommonHead[] = {{7, 2}, {11, 2}, {4, 1}, {6, 1}, {5, 1}, {1, 8}, {2, 8}};
constexpr Spec kCommonTail[] = {{10, 4}, {14, 4}, {16, 4}, {17, 4}};
constexpr size_t kTemplateFieldCount = 2 + std::size(kCommonHead) + 2 + std::size(kCommonTail) + 3;

void Put8(std::vector<uint8_t>* o, uint64_t v) { o->push_back(static_cast<uint8_t>(v)); }
void Put16(std::vector<uint8_t>* o, uint64_t v) {
    Put8(o, v >> 8);
    Put8(o, v);
}
void Put32(std::vector<uint8_t>* o, uint64_t v) {
    Put16(o, v >> 16);
    Put16(o, v);
}
void Put64(std::vector<uint8_t>* o, uint64_t v) {
    Put32(o, v >> 32);
    Put32(o, v);
}
void PutBytes(std::vector<uint8_t>* o, const uint8_t* p, size_t n) {
    o->insert(o->end(), p, p + n);
}
void Patch16(std::vector<uint8_t>* o, size_t at, uint64_t v) {
    (*o)[at] = static_cast<uint8_t>(v >> 8);
    (*o)[at + 1] = static_cast<uint8_t>(v);
}
void Patch32(std::vector<uint8_t>* o, size_t at, uint64_t v) {
    Patch16(o, at, v >> 16);
    Patch16(o, at + 2, v);
}
void WriteTemplateFields(std::vector<uint8_t>* o, bool v6, bool ipfix, bool vlan, bool icmp) {
    Put16(o, v6 ? 27 : 8);
    Put16(o, v6 ? 16 : 4);
    Put16(o, v6 ? 28 : 12);
    Put16(o, v6 ? 16 : 4);
    for (const Spec& s : kCommonHead) Put32(o, uint32_t{s.id} << 16 | s.length);
    Put32(o, uint32_t{ipfix ? 152u : 22u} << 16 | (ipfix ? 8 : 4));
    Put32(o, uint32_t{ipfix ? 153u : 21u} << 16 | (ipfix ? 8 : 4));
    for (const Spec& s : kCommonTail) Put32(o, uint32_t{s.id} << 16 | s.length);
    Put32(o, uint32_t{v6 ? 29u : 9u} << 16 | 1);
    Put32(o, uint32_t{v6 ? 30u : 13u} << 16 | 1);
    Put32(o, uint32_t{v6 ? 62u : 15u} << 16 | (v6 ? 16 : 4));
    if (vlan) Put32(o, uint32_t{58} << 16 | 2);               // vlanId
    if (icmp) Put32(o, uint32_t{v6 ? 139u : 32u} << 16 | 2);  // icmpTypeCodeIPv6 / IPv4
}

size_t RecordLength(bool v6, bool ipfix, bool vlan, bool icmp = false) {
    const size_t addr = v6 ? 16 : 4;
    return 3 * addr + 2 + 2 + 1 + 1 + 1 + 8 + 8 + (ipfix ? 16 : 8) + 16 + 2 + (vlan ? 2 : 0) +
           (icmp ? 2 : 0);
}

EncodeFlow ToEncodeFlow(const SampleFlow& f, uint64_t boot_ms) {
    EncodeFlow e;
    e.v6 = f.v6;
    std::copy(f.src, f.src + 16, e.src);
    std::copy(f.dst, f.dst + 16, e.dst);
    std::copy(f.next_hop, f.next_hop + 16, e.next_hop);
    e.src_port = f.src_port;
    e.dst_port = f.dst_port;
    e.proto = f.proto;
    e.tcp_flags = f.tcp_flags;
    e.tos = f.tos;
    e.packets = f.packets;
    e.bytes = f.bytes;
    e.first_ms = boot_ms + f.first_uptime;
    e.last_ms = boot_ms + f.last_uptime;
    e.input = f.input;
    e.output = f.output;
    e.src_as = f.src_as;
    e.dst_as = f.dst_as;
    e.src_mask = f.src_mask;
    e.dst_mask = f.dst_mask;
    return e;
}

std::vector<SampleDatagram> Generate(const SampleOptions& opt, Model* model) {
    EncoderOptions eo;
    eo.version = opt.version;
    eo.source_id = opt.source_id;
    eo.sampling_interval = opt.sampling_interval;
    eo.max_bytes = kMaxDatagramBytes;
    eo.template_every = kTemplateRepeat;
    FlowEncoder enc(eo);

    std::vector<SampleDatagram> out;
    size_t left = opt.flows;
    const bool v5 = opt.version == 5;
    for (size_t i = 0; left > 0 || (i == 0 && !v5); ++i) {
        const uint64_t export_ms = opt.export_time_ms + i * 1000;
        const uint32_t uptime = static_cast<uint32_t>(opt.uptime_ms + i * 1000);
        const uint64_t boot_ms = v5 ? export_ms - uptime : (export_ms / 1000) * 1000 - uptime;
        enc.Begin(export_ms, uptime, boot_ms);
        while (left > 0 && (!v5 || enc.flows() < kV5MaxRecords)) {
            // The model draws the family before the flow, so a flow that does not fit is
            // drawn again for the next datagram: the stream stays the same for a seed.
            const bool v6 =
                !v5 && static_cast<double>(model->Below(1000)) < opt.ipv6_share * 1000.0;
            const size_t need = RecordLength(v6, !v5 && opt.version == 10, false) + 4;
            if (!v5 && !enc.Fits(v6, need)) break;
            enc.Add(ToEncodeFlow(model->Make(v6, uptime), boot_ms));
            --left;
        }
        const size_t flows = enc.flows();
        out.push_back({enc.Finish(), export_ms, flows});
    }
    return out;
}

}  // namespace

FlowEncoder::FlowEncoder(const EncoderOptions& options) : options_(options) {
    out_.reserve(options_.max_bytes + 64);
}

void FlowEncoder::Begin(uint64_t export_ms, uint32_t uptime_ms, uint64_t boot_ms) {
    out_.clear();
    boot_ms_ = boot_ms;
    flows_ = 0;
    records_ = 0;
    set_ = 0;
    templates_in_datagram_ = false;
    const uint32_t secs = static_cast<uint32_t>(export_ms / 1000);
    switch (options_.version) {
        case 5: {
            Put16(&out_, 5);
            Put16(&out_, 0);  // count, set by Finish()
            Put32(&out_, uptime_ms);
            Put32(&out_, secs);
            Put32(&out_, (export_ms % 1000) * 1000000);
            Put32(&out_, sequence_);
            Put8(&out_, 0);  // engine type
            Put8(&out_, options_.source_id);
            // Sampling field: mode in the top 2 bits (01 = packet interval), interval below.
            const uint32_t interval = std::min<uint32_t>(options_.sampling_interval, 0x3fff);
            Put16(&out_, interval > 1 ? 0x4000 | interval : 0);
            return;
        }
        case 9:
            Put16(&out_, 9);
            Put16(&out_, 0);  // count
            Put32(&out_, uptime_ms);
            Put32(&out_, secs);
            Put32(&out_, sequence_);
            Put32(&out_, options_.source_id);
            break;
        default:
            Put16(&out_, 10);
            Put16(&out_, 0);  // length
            Put32(&out_, secs);
            Put32(&out_, sequence_);
            Put32(&out_, options_.source_id);
            break;
    }
    const bool due = datagrams_ == 0 ||
                     (options_.template_every != 0 && datagrams_ % options_.template_every == 0) ||
                     (options_.template_interval_ms != 0 &&
                      export_ms >= last_template_ms_ + options_.template_interval_ms);
    if (due) {
        last_template_ms_ = export_ms;
        WriteTemplates();
    }
}

void FlowEncoder::SetExportTime(uint64_t export_ms, uint32_t uptime_ms) {
    assert(out_.size() >= 16);  // Begin() wrote the header
    const uint32_t secs = static_cast<uint32_t>(export_ms / 1000);
    switch (options_.version) {
        case 5:  // +4 sysUptime, +8 unix_secs, +12 unix_nsecs
            Patch32(&out_, 4, uptime_ms);
            Patch32(&out_, 8, secs);
            Patch32(&out_, 12, (export_ms % 1000) * 1000000);
            return;
        case 9:  // +4 sysUptime, +8 unix_secs
            Patch32(&out_, 4, uptime_ms);
            Patch32(&out_, 8, secs);
            return;
        default:  // +4 export time
            Patch32(&out_, 4, secs);
            return;
    }
}

// Template (and sampling options) sets. Options: v9 scope System (RFC 3954 §6.1), IPFIX
// scope observationDomainId (RFC 7011 §3.4.2.2); fields samplingInterval (#34) and
// samplingAlgorithm (#35), which nfcapd reads as the exporter's generic sampler.
void FlowEncoder::WriteTemplates() {
    const bool ipfix = options_.version == 10;
    templates_in_datagram_ = true;
    const size_t set = out_.size();
    Put16(&out_, ipfix ? 2 : 0);
    Put16(&out_, 0);
    for (bool v6 : {false, true}) {
        Put16(&out_, v6 ? kTemplateV6 : kTemplateV4);
        const size_t optional = (options_.vlan ? 1 : 0) + (options_.icmp_type ? 1 : 0);
        Put16(&out_, kTemplateFieldCount + optional);
        WriteTemplateFields(&out_, v6, ipfix, options_.vlan, options_.icmp_type);
    }
    Patch16(&out_, set + 2, out_.size() - set);
    records_ += 2;
    if (options_.sampling_interval <= 1) return;

    const size_t oset = out_.size();
    // IPFIX: set id 3, template, 3 fields of which 1 scope; v9: set id 1, template, scope
    // bytes 4, option bytes 8.
    constexpr uint16_t kIpfixOptions[] = {3, 0, kTemplateOptions, 3, 1, 149, 4, 34, 4, 35, 1};
    constexpr uint16_t kV9Options[] = {1, 0, kTemplateOptions, 4, 8, 1, 4, 34, 4, 35, 1};
    for (uint16_t v : ipfix ? kIpfixOptions : kV9Options) Put16(&out_, v);
    Patch16(&out_, oset + 2, out_.size() - oset);
    const size_t dset = out_.size();
    Put16(&out_, kTemplateOptions);
    Put16(&out_, 0);
    Put32(&out_, ipfix ? options_.source_id : 0);
    Put32(&out_, options_.sampling_interval);
    Put8(&out_, options_.sampling_algorithm);
    while ((out_.size() - dset) % 4 != 0) Put8(&out_, 0);
    Patch16(&out_, dset + 2, out_.size() - dset);
    records_ += 2;
    if (ipfix) ++sequence_;  // the options data record counts as a data record
}

bool FlowEncoder::Fits(bool v6, size_t need) const {
    const bool new_set = set_ == 0 || set_v6_ != v6;
    return out_.size() + need - (new_set ? 0 : 4) <= options_.max_bytes;
}

void FlowEncoder::CloseSet() {
    if (set_ != 0) Patch16(&out_, set_ + 2, out_.size() - set_);
    set_ = 0;
}

bool FlowEncoder::Add(const EncodeFlow& f) {
    if (options_.version == 5) {
        if (f.v6) {
            ++v6_dropped_;
            return true;
        }
        if (flows_ >= kV5MaxRecords) return false;
        PutBytes(&out_, f.src, 4);
        PutBytes(&out_, f.dst, 4);
        PutBytes(&out_, f.next_hop, 4);
        Put16(&out_, f.input);
        Put16(&out_, f.output);
        Put32(&out_, f.packets);
        Put32(&out_, f.bytes);
        Put32(&out_, f.first_ms - boot_ms_);
        Put32(&out_, f.last_ms - boot_ms_);
        Put16(&out_, f.src_port);
        Put16(&out_, f.dst_port);
        Put8(&out_, 0);
        Put8(&out_, f.tcp_flags);
        Put8(&out_, f.proto);
        Put8(&out_, f.tos);
        Put16(&out_, f.src_as);
        Put16(&out_, f.dst_as);
        Put8(&out_, f.src_mask);
        Put8(&out_, f.dst_mask);
        Put16(&out_, 0);
        ++flows_;
        return true;
    }

    const bool ipfix = options_.version == 10;
    if (!Fits(f.v6, RecordLength(f.v6, ipfix, options_.vlan, options_.icmp_type) + 4)) {
        return false;
    }
    if (set_ == 0 || set_v6_ != f.v6) {
        CloseSet();
        set_ = out_.size();
        set_v6_ = f.v6;
        Put16(&out_, f.v6 ? kTemplateV6 : kTemplateV4);
        Put16(&out_, 0);
    }
    const size_t addr = f.v6 ? 16 : 4;
    PutBytes(&out_, f.src, addr);
    PutBytes(&out_, f.dst, addr);
    Put16(&out_, f.src_port);
    Put16(&out_, f.dst_port);
    Put8(&out_, f.proto);
    Put8(&out_, f.tcp_flags);
    Put8(&out_, f.tos);
    Put64(&out_, f.bytes);
    Put64(&out_, f.packets);
    if (ipfix) {
        Put64(&out_, f.first_ms);
        Put64(&out_, f.last_ms);
    } else {
        Put32(&out_, f.first_ms - boot_ms_);
        Put32(&out_, f.last_ms - boot_ms_);
    }
    Put32(&out_, f.input);
    Put32(&out_, f.output);
    Put32(&out_, f.src_as);
    Put32(&out_, f.dst_as);
    Put8(&out_, f.src_mask);
    Put8(&out_, f.dst_mask);
    PutBytes(&out_, f.next_hop, addr);
    if (options_.vlan) Put16(&out_, f.vlan);
    if (options_.icmp_type) Put16(&out_, f.proto == 1 || f.proto == 58 ? f.dst_port : 0);
    ++flows_;
    ++records_;
    return true;
}

const std::vector<uint8_t>& FlowEncoder::Finish() {
    switch (options_.version) {
        case 5:
            Patch16(&out_, 2, flows_);
            sequence_ += static_cast<uint32_t>(flows_);
            break;
        case 9:
            CloseSet();
            Patch16(&out_, 2, records_);
            ++sequence_;
            break;
        default:
            CloseSet();
            Patch16(&out_, 2, out_.size());
            sequence_ += static_cast<uint32_t>(flows_);
            break;
    }
    ++datagrams_;
    return out_;
}

std::vector<SampleDatagram> GenerateSampleTraffic(const SampleOptions& options) {
    if (options.version != 5 && options.version != 9 && options.version != 10) return {};
    Model model(options.seed);
    return Generate(options, &model);
}

}  // namespace flow::wire

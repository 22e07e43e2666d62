// SPDX-License-Identifier: BSD-2-Clause
// Writes seed inputs for the fuzz targets (run by fuzz/make_seeds.sh):
//
//   fuzz_seedgen OUTDIR [CORPUS_DIR]
//
// into OUTDIR/<target>/: datagrams of flowkit's sample exporter and of hand-built messages
// (variable-length and enterprise fields, options templates, lists), the datagrams of every
// capture and raw payload listed in CORPUS_DIR/groups.tsv, each group also as one template
// cache sequence, nfdump files written by NfFileWriter in every codec, and the corpus's
// nfdump files cut to a few blocks. Every seed is in the input layout its target expects.
// Without CORPUS_DIR (or when it does not exist) only the generated seeds are written.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "flow/pcap_source.h"
#include "flow/sample_exporter.h"
#include "flow/wire.h"
#include "nffile/codec.h"
#include "nffile/layout.h"
#include "wire/wire_builder.h"

namespace {

using Bytes = std::vector<uint8_t>;

// Seeds are capped so that the fuzzers stay fast; libFuzzer's -max_len is set to match.
constexpr size_t kMaxWireSeed = 8192;
constexpr size_t kMaxSequenceSeed = 65536;
constexpr size_t kMaxFileSeed = 65536;
constexpr size_t kMaxBlockSeed = 65536;

std::string g_out;
std::map<std::string, int> g_counts;

void MakeDir(const std::string& path) { ::mkdir(path.c_str(), 0755); }

void Write(const std::string& target, const std::string& stem, const Bytes& bytes) {
    const int n = g_counts[target]++;
    const std::string path = g_out + "/" + target + "/" + stem + "-" + std::to_string(n);
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

Bytes ReadFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Writes one datagram for every wire target that decodes its version.
void AddDatagram(const std::string& stem, const Bytes& d) {
    if (d.size() < 4 || d.size() > kMaxWireSeed) return;
    Write("fuzz_wire_decoder", stem, d);
    const uint16_t version = Be16(d.data());
    const uint16_t sflow = Be16(d.data() + 2);
    if (version == 0 && (sflow == 2 || sflow == 4 || sflow == 5)) {
        Write("fuzz_wire_sflow", stem, d);
    } else if (version == 1 || version == 5 || version == 7) {
        Bytes s{static_cast<uint8_t>(version == 1 ? 0 : version == 5 ? 1 : 2)};
        s.insert(s.end(), d.begin(), d.end());
        Write("fuzz_wire_v5", stem, s);
    } else if (version == 9) {
        Write("fuzz_wire_v9", stem, d);
    } else if (version == 10) {
        Bytes s{1};
        s.insert(s.end(), d.begin(), d.end());
        Write("fuzz_wire_ipfix", stem, s);
    }
}

// A template cache input: option byte 0, then control 0 (exporter 127.0.0.1) + length +
// datagram for each datagram that fits.
void AddSequence(const std::string& stem, const std::vector<Bytes>& datagrams) {
    Bytes s{0};
    for (const Bytes& d : datagrams) {
        if (d.size() > 0xffff || s.size() + 3 + d.size() > kMaxSequenceSeed) break;
        s.push_back(0);
        s.push_back(static_cast<uint8_t>(d.size() >> 8));
        s.push_back(static_cast<uint8_t>(d.size()));
        s.insert(s.end(), d.begin(), d.end());
    }
    if (s.size() > 1) Write("fuzz_template_cache", stem, s);
}

// Splits a raw payload file into datagrams where the format says where one ends (v5 record
// count, IPFIX message length); anything else is one datagram.
std::vector<Bytes> SplitRaw(const Bytes& file) {
    std::vector<Bytes> out;
    size_t pos = 0;
    while (file.size() - pos >= 4) {
        const uint8_t* p = file.data() + pos;
        const uint16_t version = Be16(p);
        size_t len = file.size() - pos;
        if (version == 5) len = std::min(len, size_t{24} + 48 * Be16(p + 2));
        if (version == 10 && Be16(p + 2) >= 16) len = std::min<size_t>(len, Be16(p + 2));
        out.emplace_back(p, p + len);
        pos += len;
    }
    return out;
}

std::vector<Bytes> ReadCapture(const std::string& path) {
    std::vector<Bytes> out;
    auto r = flow::wire::PcapUdpReader::Open(path);
    if (!r.ok()) return out;
    flow::wire::UdpDatagram d;
    for (;;) {
        auto more = (*r)->Next(&d);
        if (!more.ok() || !*more) break;
        out.emplace_back(d.payload, d.payload + d.length);
    }
    return out;
}

std::string Stem(const std::string& path) {
    std::string s = path.substr(path.find_last_of('/') + 1);
    for (char& c : s) {
        if (c == '.' || c == '+') c = '_';
    }
    return s;
}

void CorpusWire(const std::string& corpus) {
    std::ifstream groups(corpus + "/groups.tsv");
    std::map<std::string, std::vector<Bytes>> sequences;
    std::string line;
    while (std::getline(groups, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string group, file;
        if (!(fields >> group >> file)) continue;
        const std::string path = corpus + "/" + file;
        const bool raw = file.rfind("raw-payload/", 0) == 0;
        std::vector<Bytes> datagrams = raw ? SplitRaw(ReadFile(path)) : ReadCapture(path);
        for (const Bytes& d : datagrams) AddDatagram(Stem(file), d);
        auto& seq = sequences[group];
        seq.insert(seq.end(), datagrams.begin(), datagrams.end());
    }
    for (const auto& [group, datagrams] : sequences) AddSequence("corpus-" + group, datagrams);
}

void SampleWire(std::vector<flow::FlowRecord>* records) {
    const uint16_t versions[] = {5, 9, 10};
    for (uint16_t version : versions) {
        for (uint32_t sampling : {0u, 64u}) {
            flow::wire::SampleOptions o;
            o.version = version;
            o.flows = 40;
            o.sampling_interval = sampling;
            o.ipv6_share = 0.5;
            std::vector<Bytes> datagrams;
            flow::wire::Decoder decoder;
            std::vector<flow::FlowRecord> out;
            for (const auto& d : flow::wire::GenerateSampleTraffic(o)) {
                datagrams.push_back(d.bytes);
                (void)decoder.Decode(d.bytes.data(), d.bytes.size(),
                                     flow::wire::Endpoint::V4(0x7f000001, 2055), d.export_time_ms,
                                     &out);
            }
            const std::string stem =
                "sample-v" + std::to_string(version) + "-s" + std::to_string(sampling);
            for (const Bytes& d : datagrams) AddDatagram(stem, d);
            AddSequence(stem, datagrams);
            records->insert(records->end(), out.begin(), out.end());
        }
    }
}

// Hand-built messages with the structures the sample exporter does not produce.
void BuiltWire() {
    using wiretest::Writer;
    Writer t = wiretest::IpfixHeader(1700000000, 0, 7);
    wiretest::IpfixTemplate(&t, 300,
                            {{8, 4},
                             {12, 4},
                             {4, 1},
                             {2, 8},
                             {1, 8},
                             {82, 0xffff},
                             {1, 4, 29305},
                             {100, 0xffff, 35632},
                             {152, 8},
                             {153, 8}});
    wiretest::IpfixOptionsTemplate(&t, 301, {{302, 4}}, {{305, 4}, {306, 4}, {304, 2}});
    wiretest::IpfixTemplate(&t, 302, {{8, 4}, {292, 0xffff}});
    const Bytes templates = wiretest::IpfixDone(t);

    Writer d = wiretest::IpfixHeader(1700000001, 1, 7);
    size_t set = d.BeginSet(300);
    d.Ip4(10, 0, 0, 1).Ip4(10, 0, 0, 2).U8(6).U64(3).U64(1500).U8(4).Text("eth0").U32(7);
    d.U8(255).U16(5).Text("proto").U64(1700000000000).U64(1700000001000);
    d.EndSet(set);
    set = d.BeginSet(301);
    d.U32(1).U32(1).U32(99).U16(2);
    d.EndSet(set);
    set = d.BeginSet(302);
    d.Ip4(10, 0, 0, 3).U8(11).U8(3).U16(300).Ip4(10, 0, 0, 4).Ip4(10, 0, 0, 5).U8(17);
    d.EndSet(set);
    const Bytes data = wiretest::IpfixDone(d);
    AddDatagram("built-ipfix-templates", templates);
    AddDatagram("built-ipfix-data", data);
    AddSequence("built-ipfix", {templates, data});
    AddSequence("built-ipfix-early", {data, templates});

    Writer v = wiretest::V9Header(3600000, 1700000000, 0, 3, 3);
    wiretest::V9Template(
        &v, 256,
        {{8, 4}, {12, 4}, {4, 1}, {7, 2}, {11, 2}, {1, 4}, {2, 4}, {22, 4}, {21, 4}, {40005, 1}});
    wiretest::V9OptionsTemplate(&v, 257, {{1, 4}}, {{34, 4}, {35, 1}});
    set = v.BeginSet(256);
    v.Ip4(10, 1, 0, 1).Ip4(10, 1, 0, 2).U8(17).U16(53).U16(4000).U32(100).U32(2);
    v.U32(3500000).U32(3590000).U8(1).Zeros(3);
    v.EndSet(set);
    set = v.BeginSet(257);
    v.U32(0).U32(100).U8(2).Zeros(3);
    v.EndSet(set);
    AddDatagram("built-v9", v.bytes());
    AddSequence("built-v9", {v.bytes()});

    // sFlow v4 (RFC 3176): a counters sample, then a flow sample with a sampled Ethernet
    // header and extended switch, router, gateway, user and URL data.
    Writer f;
    f.U32(4).U32(1).Ip4(192, 0, 2, 7).U32(1).U32(1000).U32(2);
    f.U32(2).U32(1).U32(3).U32(20).U32(2).Zeros(140);
    f.U32(1).U32(2).U32(3).U32(400).U32(1000).U32(0).U32(5).U32(6);
    f.U32(1).U32(1).U32(1500).U32(54).U48(0x020000000002).U48(0x020000000001).U16(0x0800);
    f.U8(0x45).U8(0).U16(40).U16(1).U16(0x4000).U8(64).U8(6).U16(0);
    f.Ip4(10, 0, 0, 1).Ip4(10, 0, 0, 2).U16(1234).U16(80).U32(1).U32(2).U8(0x50).U8(0x12);
    f.U16(100).U16(0).U16(0).Zeros(2);
    f.U32(5).U32(1).U32(100).U32(0).U32(200).U32(0);
    f.U32(2).U32(1).Ip4(10, 9, 9, 9).U32(24).U32(16);
    f.U32(3).U32(65000).U32(64512).U32(65001).U32(1).U32(2).U32(1).U32(300).U32(0).U32(0);
    f.U32(4).U32(1).U8('a').Zeros(3).U32(0);
    f.U32(5).U32(1).U32(1).U8('/').Zeros(3);
    AddDatagram("built-sflow-v4", f.bytes());
}

// Cuts an nfdump file after its first blocks (at most kMaxFileSeed bytes) and fixes the
// header's block count so the cut file is a valid closed file without appendix. Also writes
// the first blocks as fuzz_nffile_block inputs. Empty result for files that are no nfdump
// file or whose first block is too large.
Bytes CutFile(const Bytes& file, const std::string& stem) {
    using namespace flow::nffile;
    if (file.size() < kHeaderV2Size || Load16(file.data()) != kMagic) return {};
    const uint16_t layout = Load16(file.data() + 2);
    size_t start;
    flow::Codec codec = flow::Codec::kNone;
    if (layout == kLayout1) {
        start = kHeaderV1Size + kStatV1Size;
        const uint32_t flags = Load32(file.data() + 4);
        if (flags & kFlagV1Lzo)
            codec = flow::Codec::kLzo;
        else if (flags & kFlagV1Bz2)
            codec = flow::Codec::kBz2;
        else if (flags & kFlagV1Lz4)
            codec = flow::Codec::kLz4;
    } else if (layout == kLayout2) {
        start = kHeaderV2Size;
        codec = static_cast<flow::Codec>(file[16]);
        if (file[16] > 4) return {};
    } else {
        return {};
    }
    const uint64_t limit = layout == kLayout2 && Load64(file.data() + 24) != 0
                               ? Load64(file.data() + 24)
                               : file.size();
    size_t pos = start;
    uint32_t blocks = 0;
    BlockCodec decompressor(codec);
    Bytes plain(kMaxBlockPayload);
    while (pos + kBlockHeaderSize <= limit && limit <= file.size()) {
        const uint32_t records = Load32(file.data() + pos);
        const uint32_t stored = Load32(file.data() + pos + 4);
        const uint16_t type = Load16(file.data() + pos + 8);
        const size_t end = pos + kBlockHeaderSize + stored;
        if (end > limit || (blocks > 0 && end > kMaxFileSeed)) break;
        if (blocks < 3 && stored <= kMaxBlockSeed && records <= 0xffff &&
            (type == kBlockV1 || type == kBlockV3)) {
            const uint8_t flags = static_cast<uint8_t>((layout == kLayout1 ? 1 : 0) |
                                                       static_cast<uint8_t>(codec) << 1);
            Bytes raw{flags, static_cast<uint8_t>(records), static_cast<uint8_t>(records >> 8)};
            const uint8_t* payload = file.data() + pos + kBlockHeaderSize;
            raw.insert(raw.end(), payload, payload + stored);
            Write("fuzz_nffile_block", stem, raw);
            auto n = decompressor.Decompress(payload, stored, plain.data(), plain.size());
            if (codec != flow::Codec::kNone && n.ok() && *n <= kMaxBlockSeed) {
                raw.resize(3);
                raw[0] |= 0x10;
                raw.insert(raw.end(), plain.begin(), plain.begin() + static_cast<long>(*n));
                Write("fuzz_nffile_block", stem + "-plain", raw);
            }
        }
        pos = end;
        ++blocks;
        if (pos >= kMaxFileSeed) break;
    }
    if (blocks == 0 || pos > 4 * kMaxFileSeed) return {};
    Bytes cut(file.begin(), file.begin() + static_cast<long>(pos));
    if (layout == kLayout1) {
        Store32(cut.data() + 8, blocks);
    } else {
        Store16(cut.data() + 18, 0);  // no appendix blocks
        Store64(cut.data() + 24, 0);  // no appendix
        Store32(cut.data() + 36, blocks);
    }
    return cut;
}

void AddNfFile(const std::string& path) {
    const Bytes file = ReadFile(path);
    const std::string stem = Stem(path);
    // The corpus keeps nfdump's text output next to its files; only files are seeds.
    if (file.size() < 4 || flow::nffile::Load16(file.data()) != flow::nffile::kMagic) return;
    if (file.size() <= kMaxFileSeed) Write("fuzz_nffile", stem, file);
    const Bytes cut = CutFile(file, stem);
    if (!cut.empty() && cut.size() != file.size()) Write("fuzz_nffile", stem + "-cut", cut);
}

void GeneratedFiles(const std::vector<flow::FlowRecord>& records) {
    const flow::Codec codecs[] = {flow::Codec::kNone, flow::Codec::kLzo, flow::Codec::kBz2,
                                  flow::Codec::kLz4, flow::Codec::kZstd};
    for (flow::Codec codec : codecs) {
        const std::string path = g_out + "/gen-" + flow::CodecName(codec) + ".nf";
        flow::WriterOptions o;
        o.block_bytes = 4096;
        auto w = flow::NfFileWriter::Create(path, codec, "fuzz-seed", o);
        if (!w.ok()) continue;
        flow::ExporterInfo e;
        e.sysid = 1;
        e.version = 9;
        e.ip = flow::IpAddr::V4(0x7f000001);
        (void)(*w)->AddExporter(e);
        flow::SamplerInfo s;
        s.exporter_sysid = 1;
        s.id = -1;
        s.space_interval = 63;
        (void)(*w)->AddSampler(s);
        for (size_t i = 0; i < records.size() && i < 120; ++i) (void)(*w)->Append(records[i]);
        if (!(*w)->Close().ok()) continue;
        AddNfFile(path);
        std::remove(path.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: fuzz_seedgen OUTDIR [CORPUS_DIR]\n");
        return 2;
    }
    g_out = argv[1];
    MakeDir(g_out);
    for (const char* t :
         {"fuzz_wire_v5", "fuzz_wire_v9", "fuzz_wire_ipfix", "fuzz_wire_sflow", "fuzz_wire_decoder",
          "fuzz_template_cache", "fuzz_nffile", "fuzz_nffile_block", "fuzz_filter"}) {
        MakeDir(g_out + "/" + t);
    }

    std::vector<flow::FlowRecord> records;
    SampleWire(&records);
    BuiltWire();
    GeneratedFiles(records);

    struct stat st;
    if (argc > 2 && ::stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
        const std::string corpus = argv[2];
        CorpusWire(corpus);
        for (const std::string& dir : {corpus + "/nffile", corpus + "/nffile/generated"}) {
            std::error_code ec;
            std::vector<std::string> paths;
            for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
                if (entry.is_regular_file()) paths.push_back(entry.path().string());
            }
            std::sort(paths.begin(), paths.end());
            for (const std::string& path : paths) AddNfFile(path);
        }
    }
    for (const auto& [target, n] : g_counts) std::printf("%s: %d seeds\n", target.c_str(), n);
    return 0;
}

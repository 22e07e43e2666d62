// SPDX-License-Identifier: BSD-2-Clause
// NfFileWriter: round trips through our reader for every codec, the stat record, side
// records, ident changes, and files that nfdump 1.7.1 itself must read back.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>

#include "flow/encoded.h"
#include "nffile/layout.h"
#include "nffile/records.h"
#include "nffile/nffile_test_util.h"
#include "nffile/v3_bytes.h"

using namespace flow;
using namespace flow::testing;
using namespace flow::nffile;
using flow::nffile::testing::Bytes;

namespace {

constexpr Codec kAllCodecs[] = {Codec::kNone, Codec::kLzo, Codec::kBz2, Codec::kLz4, Codec::kZstd};

ExporterInfo MakeExporter(uint16_t sysid) {
    ExporterInfo x;
    x.sysid = sysid;
    x.version = sysid == 3 ? 10 : 9;
    x.id = 100 + sysid;
    if (sysid == 2) {
        x.is_v6 = true;
        x.ip = IpAddr{0x20010db8000000ffULL, 0x42};
    } else {
        x.ip = IpAddr::V4(0x7f000000u + sysid);
    }
    return x;
}

// Writes records 0..n-1 of MakeRecord(), 3 exporters, 2 samplers and one stats record.
std::string WriteSample(Codec codec, uint32_t n, const std::string& name,
                        const WriterOptions& options = {}) {
    const std::string path = ScratchDir() + "/" + name;
    auto w = NfFileWriter::Create(path, codec, "flowkit-test", options);
    REQUIRE(w.ok());
    for (uint16_t sysid = 1; sysid <= 3; ++sysid)
        REQUIRE((*w)->AddExporter(MakeExporter(sysid)).ok());
    SamplerInfo s;
    s.exporter_sysid = 1;
    s.id = 5;
    s.algorithm = 2;
    s.packet_interval = 1;
    s.space_interval = 99;
    REQUIRE((*w)->AddSampler(s).ok());
    s.exporter_sysid = 3;
    s.id = SamplerInfo::kGeneric;
    s.space_interval = 9;
    REQUIRE((*w)->AddSampler(s).ok());
    for (uint32_t i = 0; i < n; ++i) REQUIRE((*w)->Append(MakeRecord(i)).ok());
    const ExporterStats stats[] = {{1, 2, 30, 400}, {3, 0, 7, 8}};
    REQUIRE((*w)->AddExporterStats(stats).ok());
    (*w)->SetSequenceFailures(2);
    REQUIRE((*w)->Close().ok());
    return path;
}

StatRecord ExpectedStat(uint32_t n, StatRule rule = StatRule::kCollector) {
    StatRecord s;
    s.first_ms = StatRecord::kUnsetFirstMs;
    for (uint32_t i = 0; i < n; ++i) AccumulateStat(MakeRecord(i), &s, rule);
    FinishStat(&s);
    s.sequence_failures = 2;
    return s;
}

// Lowers the file size limit to `bytes` for the scope (or until Lift()), so that writes beyond
// it fail with EFBIG as they fail with ENOSPC on a full disk; SIGXFSZ is ignored meanwhile.
class FileSizeLimit {
public:
    explicit FileSizeLimit(uint64_t bytes) {
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit_) == 0);
        struct rlimit limit = old_limit_;
        limit.rlim_cur = bytes;
        old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
    }
    ~FileSizeLimit() { Lift(); }
    void Lift() {
        if (lifted_) return;
        ::setrlimit(RLIMIT_FSIZE, &old_limit_);
        ::signal(SIGXFSZ, old_handler_);
        lifted_ = true;
    }

private:
    struct rlimit old_limit_;
    sighandler_t old_handler_;
    bool lifted_ = false;
};

}  // namespace

TEST_CASE("Records written with each codec read back equal, over several blocks",
          "[nffile][writer]") {
    const Codec codec = GENERATE(from_range(std::begin(kAllCodecs), std::end(kAllCodecs)));
    CAPTURE(CodecName(codec));
    constexpr uint32_t kRecords = 9000;  // about 1.7 MiB of records: two data blocks
    const std::string path = WriteSample(codec, kRecords, std::string("rt-") + CodecName(codec));

    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.open_status.ok());
    REQUIRE(out.status.ok());
    CHECK(out.info.layout == 2);
    CHECK(out.info.codec == codec);
    CHECK(out.info.closed);
    CHECK(out.info.ident == "flowkit-test");
    CHECK(out.info.nfd_version == 0x01070100u);
    CHECK(out.info.num_blocks == 2);
    CHECK(out.info.appendix_blocks == 1);
    CHECK(out.good_blocks == 2);
    CHECK(out.counters.unknown_elements == 0);
    CHECK(out.counters.unknown_records == 0);
    REQUIRE(out.records.size() == kRecords);
    for (uint32_t i = 0; i < kRecords; ++i) {
        CAPTURE(i);
        const std::string want = AllFields(MakeRecord(i));
        const std::string got = AllFields(out.records[i]);
        if (want != got) {
            CHECK(got == want);
            break;
        }
    }
    CHECK(out.info.has_stat);
    CHECK(out.info.stat == ExpectedStat(kRecords));

    REQUIRE(out.exporters.size() == 3);
    for (uint16_t sysid = 1; sysid <= 3; ++sysid) {
        ExporterInfo want = MakeExporter(sysid);
        if (sysid == 1) {
            want.sequence_failures = 2;
            want.packets = 30;
            want.flows = 400;
        }
        if (sysid == 3) {
            want.packets = 7;
            want.flows = 8;
        }
        CHECK(out.exporters[sysid - 1] == want);
    }
    REQUIRE(out.samplers.size() == 2);
    CHECK(out.samplers[0].space_interval == 99);
    CHECK(out.samplers[0].id == 5);
    CHECK(out.samplers[0].algorithm == 2);
    CHECK(out.samplers[1].id == SamplerInfo::kGeneric);
    CHECK(out.samplers[1].exporter_sysid == 3);
}

TEST_CASE("The stat record follows nfcapd's rule, or nfdump -w's when asked", "[nffile][writer]") {
    FlowRecord tcp;
    tcp.Set(kExGenericFlow);
    tcp.proto = 6;
    tcp.packets = 10;
    tcp.bytes = 1000;
    tcp.first_ms = 5000;
    tcp.last_ms = 9000;
    tcp.Set(kExCntFlow);
    tcp.flows = 3;
    tcp.out_packets = 4;
    tcp.out_bytes = 400;
    FlowRecord icmp6;
    icmp6.Set(kExGenericFlow);
    icmp6.proto = 58;
    icmp6.packets = 1;
    icmp6.bytes = 80;
    icmp6.first_ms = 4000;
    icmp6.last_ms = 4500;

    StatRecord s;
    s.first_ms = StatRecord::kUnsetFirstMs;
    AccumulateStat(tcp, &s);
    AccumulateStat(icmp6, &s);
    // nfcapd counts the records, not the flow count a record carries (nfcapd 1.7.1 wrote
    // Flows: 2, Flows_tcp: 1 for such a pair).
    CHECK(s.num_flows == 2);
    CHECK(s.flows_tcp == 1);
    CHECK(s.flows_icmp == 1);
    CHECK(s.num_packets == 15);
    CHECK(s.num_bytes == 1480);
    CHECK(s.packets_tcp == 10);
    CHECK(s.bytes_tcp == 1000);
    CHECK(s.packets_icmp == 1);
    CHECK(s.first_ms == 4000);
    CHECK(s.last_ms == 9000);

    StatRecord w;
    w.first_ms = StatRecord::kUnsetFirstMs;
    AccumulateStat(tcp, &w, StatRule::kNfdump);
    AccumulateStat(icmp6, &w, StatRule::kNfdump);
    // nfdump -w adds the records' flow counts.
    CHECK(w.num_flows == 4);
    CHECK(w.flows_tcp == 3);
    CHECK(w.flows_icmp == 1);
    CHECK(w.packets_tcp == 14);
    CHECK(w.bytes_tcp == 1400);
    CHECK(w.num_packets == 15);

    StatRecord empty;
    empty.first_ms = StatRecord::kUnsetFirstMs;
    FinishStat(&empty);
    CHECK(empty.first_ms == 0);
}

TEST_CASE("An empty file is closed, has a stat record and no data blocks", "[nffile][writer]") {
    const std::string path = ScratchDir() + "/empty";
    {
        auto w = NfFileWriter::Create(path, Codec::kLz4, "none");
        REQUIRE(w.ok());
        REQUIRE((*w)->Close().ok());
        CHECK((*w)->Close().ok());  // a second Close() does nothing
        CHECK((*w)->Append(MakeRecord(1)).code() == StatusCode::kInvalidArgument);
    }
    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    CHECK(out.info.closed);
    CHECK(out.info.num_blocks == 0);
    CHECK(out.info.has_stat);
    CHECK(out.info.stat.num_flows == 0);
    CHECK(out.info.stat.first_ms == 0);
    CHECK(out.info.ident == "none");
    CHECK(out.records.empty());
}

TEST_CASE("A writer that is never closed leaves a file readable as unclosed", "[nffile][writer]") {
    const std::string path = ScratchDir() + "/unclosed";
    auto w = NfFileWriter::Create(path, Codec::kLzo, "x");
    REQUIRE(w.ok());
    for (uint32_t i = 0; i < 100; ++i) REQUIRE((*w)->Append(MakeRecord(i)).ok());
    REQUIRE((*w)->Flush().ok());
    CHECK((*w)->blocks_written() == 1);

    // Read while the writer still holds the file open: header says 0 blocks, no appendix.
    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    CHECK_FALSE(out.info.closed);
    CHECK_FALSE(out.info.has_stat);
    CHECK(out.records.size() == 100);
    REQUIRE((*w)->Close().ok());
}

// Regression (flowcapd on a full disk): the flows of a block that could not be written
// were counted in the stat record and lost without a count.
TEST_CASE("A block the file system refuses is cut off and counted, and the file still closes",
          "[nffile][writer][regression]") {
    const std::string path = ScratchDir() + "/refused";
    WriterOptions options;
    options.block_bytes = 4096;
    auto w = NfFileWriter::Create(path, Codec::kNone, "x", options);
    REQUIRE(w.ok());
    StatRecord all;  // every flow appended
    uint32_t n = 0;
    while ((*w)->blocks_written() < 2) {
        const FlowRecord rec = MakeRecord(n++);
        REQUIRE((*w)->Append(rec).ok());
        AccumulateStat(rec, &all);
    }

    // The file size limit leaves room for the appendix but for no further block.
    FileSizeLimit limit((*w)->bytes_written() + 1024);
    uint64_t refused_flows = 0;
    for (uint32_t i = 0; i < 500; ++i) {
        const FlowRecord rec = MakeRecord(n++);
        AccumulateStat(rec, &all);
        StatRecord one;
        AccumulateStat(rec, &one);
        if (!(*w)->Append(rec).ok()) refused_flows += one.num_flows;
    }
    const Status closed = (*w)->Close();
    limit.Lift();
    CAPTURE(closed.ToString());

    const uint64_t stored = (*w)->stat().num_flows;
    CHECK(refused_flows > 0);
    CHECK((*w)->flows_dropped() > 0);
    CHECK(stored + (*w)->flows_dropped() + refused_flows == all.num_flows);
    CHECK((*w)->accepted_stat().num_flows == all.num_flows - refused_flows);

    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    CHECK(out.info.closed);
    CHECK(out.info.num_blocks == (*w)->blocks_written());
    StatRecord in_file;
    for (const FlowRecord& rec : out.records) AccumulateStat(rec, &in_file);
    CHECK(in_file.num_flows == stored);
    CHECK(out.info.stat.num_flows == stored);
    CHECK(out.info.stat.num_bytes == in_file.num_bytes);
}

// Regression (flowcapd on a full disk): the exporter and sampler records of a block that
// could not be written were lost with it, and the flows of later blocks then named an
// exporter the file did not describe.
TEST_CASE("Exporter and sampler records of a cut-off block start the next block",
          "[nffile][writer][regression]") {
    const std::string path = ScratchDir() + "/refused_exporter";
    WriterOptions options;
    options.block_bytes = 4096;
    auto w = NfFileWriter::Create(path, Codec::kNone, "x", options);
    REQUIRE(w.ok());
    ExporterInfo ex;
    ex.sysid = 7;
    ex.version = 9;
    ex.ip = IpAddr::V4(0x0a000007);
    ex.id = 3;
    SamplerInfo smp;
    smp.exporter_sysid = 7;
    smp.algorithm = 2;
    smp.id = 5;
    smp.packet_interval = 100;
    uint32_t n = 0;
    auto flow = [&] {
        FlowRecord rec = MakeRecord(n++);
        rec.exporter_sysid = 7;
        return rec;
    };
    while ((*w)->blocks_written() < 1) REQUIRE((*w)->Append(flow()).ok());

    // No room for another block: the one holding the exporter and the sampler is cut off.
    FileSizeLimit limit((*w)->bytes_written() + 1024);
    Status added = (*w)->AddExporter(ex);
    if (added.ok()) added = (*w)->AddSampler(smp);
    bool refused = false;
    for (int i = 0; i < 200 && !refused; ++i) refused = !(*w)->Append(flow()).ok();
    // Room again (the disk was cleared): the next blocks are written.
    limit.Lift();
    CAPTURE(added.ToString());
    REQUIRE(refused);
    CHECK((*w)->flows_dropped() > 0);
    const uint32_t blocks_before = (*w)->blocks_written();
    while ((*w)->blocks_written() < blocks_before + 2) REQUIRE((*w)->Append(flow()).ok());
    REQUIRE((*w)->Close().ok());

    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    REQUIRE(out.exporters.size() == 1);
    CHECK(out.exporters[0].sysid == 7);
    CHECK(out.exporters[0].ip == ex.ip);
    REQUIRE(out.samplers.size() == 1);
    CHECK(out.samplers[0].exporter_sysid == 7);
    CHECK(out.samplers[0].packet_interval == 100);
    CHECK(out.counters.unknown_records == 0);
}

TEST_CASE("Idents that nfdump would reject are refused", "[nffile][writer]") {
    const std::string path = ScratchDir() + "/ident";
    CHECK(NfFileWriter::Create(path, Codec::kNone, std::string(kMaxIdentLength + 1, 'a'))
              .status()
              .code() == StatusCode::kInvalidArgument);
    CHECK(NfFileWriter::Create(path, Codec::kNone, std::string_view("a\0b", 3)).status().code() ==
          StatusCode::kInvalidArgument);
    auto w = NfFileWriter::Create(path, Codec::kNone, std::string(kMaxIdentLength, 'a'));
    REQUIRE(w.ok());
    REQUIRE((*w)->Close().ok());
    ReadOutcome out = ReadWholeFile(path);
    CHECK(out.info.ident == std::string(kMaxIdentLength, 'a'));
}

TEST_CASE("A missing or foreign file fails to open with the right code", "[nffile][reader]") {
    auto r = NfFileReader::Open(ScratchDir() + "/does-not-exist");
    CHECK(r.status().code() == StatusCode::kNotFound);
    CHECK_THAT(r.status().message(), Catch::Contains("does-not-exist"));

    const std::string path = ScratchDir() + "/foreign";
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fputs("this is not an nfdump file at all, but long enough for a header ....", f);
    std::fclose(f);
    CHECK(NfFileReader::Open(path).status().code() == StatusCode::kMalformed);

    f = std::fopen(path.c_str(), "wb");
    const uint8_t swapped[40] = {0xa5, 0x0c, 0, 2};
    std::fwrite(swapped, 1, sizeof(swapped), f);
    std::fclose(f);
    CHECK(NfFileReader::Open(path).status().code() == StatusCode::kUnsupported);
}

TEST_CASE("ChangeIdent rewrites the ident and keeps every record", "[nffile][writer]") {
    const Codec codec = GENERATE(Codec::kNone, Codec::kLz4, Codec::kBz2);
    CAPTURE(CodecName(codec));
    const std::string path = WriteSample(codec, 3000, std::string("ident-") + CodecName(codec));
    ReadOutcome before = ReadWholeFile(path);
    REQUIRE(before.status.ok());

    REQUIRE(ChangeIdent(path, "renamed-ident").ok());
    ReadOutcome after = ReadWholeFile(path);
    REQUIRE(after.status.ok());
    CHECK(after.info.ident == "renamed-ident");
    CHECK(after.info.stat == before.info.stat);
    CHECK(after.info.num_blocks == before.info.num_blocks);
    REQUIRE(after.records.size() == before.records.size());
    for (size_t i = 0; i < after.records.size(); i += 97) {
        CHECK(AllFields(after.records[i]) == AllFields(before.records[i]));
    }
    CHECK(ChangeIdent(path, std::string(200, 'x')).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ChangeIdent closes an unclosed file with a stat record computed from its flows",
          "[nffile][writer]") {
    const std::string path = ScratchDir() + "/ident-unclosed";
    // The writer stays open: on disk the file is unclosed, as after a crash.
    auto w2 = NfFileWriter::Create(path, Codec::kLzo, "x");
    REQUIRE(w2.ok());
    for (uint32_t i = 0; i < 500; ++i) REQUIRE((*w2)->Append(MakeRecord(i)).ok());
    REQUIRE((*w2)->Flush().ok());
    ReadOutcome open_file = ReadWholeFile(path);
    REQUIRE_FALSE(open_file.info.closed);
    REQUIRE(ChangeIdent(path, "salvaged").ok());
    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    CHECK(out.info.closed);
    CHECK(out.info.ident == "salvaged");
    CHECK(out.info.num_blocks == 1);
    CHECK(out.records.size() == 500);
    StatRecord want = ExpectedStat(500);
    want.sequence_failures = 0;
    CHECK(out.info.stat == want);
}

TEST_CASE("ChangeIdent rewrites the header ident of a layout 1 file in place",
          "[nffile][writer][corpus]") {
    const std::string corpus = CorpusDir();
    if (corpus.empty()) {
        WARN("corpus not found; skipped");
        return;
    }
    const std::string path = ScratchDir() + "/v1-ident";
    REQUIRE(std::system(("cp " + corpus + "/nffile/generated/nf1625-lz4 " + path).c_str()) == 0);
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    ReadOutcome before = ReadWholeFile(path);
    REQUIRE(ChangeIdent(path, "v1-renamed").ok());
    ReadOutcome after = ReadWholeFile(path);
    REQUIRE(after.status.ok());
    CHECK(after.info.layout == 1);
    CHECK(after.info.ident == "v1-renamed");
    CHECK(after.records.size() == before.records.size());
    CHECK(after.info.stat == before.info.stat);
}

TEST_CASE("A record larger than a small block still goes into a block of its own",
          "[nffile][writer][regression]") {
    // Guards the block buffer against records above the block size (exporter stats records
    // reach 64 KiB; blocks may be configured down to 4 KiB).
    const std::string path = ScratchDir() + "/big-record";
    WriterOptions options;
    options.block_bytes = 4096;
    auto w = NfFileWriter::Create(path, Codec::kLz4, "big", options);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append(MakeRecord(1)).ok());
    std::vector<ExporterStats> stats;
    for (uint32_t i = 1; i <= 2700; ++i) stats.push_back({i, i % 3, i * 10ULL, i * 100ULL});
    REQUIRE((*w)->AddExporterStats(stats).ok());
    stats.resize(2731);
    CHECK((*w)->AddExporterStats(stats).code() == StatusCode::kInvalidArgument);
    REQUIRE((*w)->Append(MakeRecord(2)).ok());
    REQUIRE((*w)->Close().ok());

    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    CHECK(out.info.num_blocks == 3);
    REQUIRE(out.records.size() == 2);
    CHECK(AllFields(out.records[1]) == AllFields(MakeRecord(2)));
    REQUIRE(out.exporters.size() == 2700);
    CHECK(out.exporters[2699].sysid == 2700);
    CHECK(out.exporters[2699].flows == 270000);
    CHECK(out.exporters[2699].sequence_failures == 0);
}

TEST_CASE("LZ4-HC and zstd levels write files that read back equal", "[nffile][writer]") {
    for (Codec codec : {Codec::kLz4, Codec::kZstd}) {
        CAPTURE(CodecName(codec));
        WriterOptions options;
        options.level = 9;
        const std::string path =
            WriteSample(codec, 2000, std::string("level-") + CodecName(codec), options);
        ReadOutcome out = ReadWholeFile(path);
        REQUIRE(out.status.ok());
        REQUIRE(out.records.size() == 2000);
        CHECK(AllFields(out.records[1999]) == AllFields(MakeRecord(1999)));
        CHECK(out.info.stat == ExpectedStat(2000));
    }
}

TEST_CASE("ParseCodec accepts nfdump's names and CodecName inverts it", "[nffile][writer]") {
    for (Codec c : kAllCodecs) CHECK(*ParseCodec(CodecName(c)) == c);
    CHECK(*ParseCodec("BZIP2") == Codec::kBz2);
    CHECK(ParseCodec("gzip").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Event records without flow times start and end at the event time",
          "[nffile][reader]") {
    // NSEL/NAT exporters may send only an event time. Reading such a record must give a
    // zero duration at the event time, not a start at the event and an end in 1970.
    for (ElementId event : {kExNselCommon, kExNatCommon}) {
        FlowRecord r;
        r.Set(kExGenericFlow);
        r.Set(kExIpv4Flow);
        r.Set(event);
        r.src_addr = IpAddr::V4(0x0a000001u);
        r.dst_addr = IpAddr::V4(0x0a000002u);
        r.proto = 6;
        r.event_ms = 1749049740545ULL;
        r.first_ms = 0;
        r.last_ms = 0;
        uint8_t buf[kMaxV3RecordSize];
        const size_t n = EncodeV3(r, buf);
        FlowRecord back;
        ReadCounters counters;
        const char* error = nullptr;
        REQUIRE(DecodeV3(buf, n, V3Options{}, &back, &counters, &error) == Decoded::kFlow);
        CHECK(back.first_ms == 1749049740545ULL);
        CHECK(back.last_ms == 1749049740545ULL);
    }
    // A stored end time is kept.
    FlowRecord r;
    r.Set(kExGenericFlow);
    r.Set(kExNselCommon);
    r.event_ms = 5000;
    r.last_ms = 7000;
    uint8_t buf[kMaxV3RecordSize];
    const size_t n = EncodeV3(r, buf);
    FlowRecord back;
    ReadCounters counters;
    const char* error = nullptr;
    REQUIRE(DecodeV3(buf, n, V3Options{}, &back, &counters, &error) == Decoded::kFlow);
    CHECK(back.first_ms == 5000);
    CHECK(back.last_ms == 7000);
}

TEST_CASE("Blocks end where the next record would overflow them and keep every record",
          "[nffile][writer]") {
    // The writer encodes a record behind the block's records before it knows whether the
    // record fits, and moves it into the next block when it does not: the blocks must end
    // exactly where sizing each record first ends them, with every record intact.
    const std::string path = ScratchDir() + "/block-ends";
    WriterOptions options;
    options.block_bytes = 4096;
    auto w = NfFileWriter::Create(path, Codec::kNone, "ends", options);
    REQUIRE(w.ok());
    constexpr uint32_t kRecords = 700;
    uint32_t blocks = 0;
    size_t used = 0;
    for (uint32_t i = 0; i < kRecords; ++i) {
        const FlowRecord r = MakeRecord(i);
        const size_t size = V3Size(r);
        if (used == 0 || used + size > options.block_bytes) {
            ++blocks;
            used = 0;
        }
        used += size;
        REQUIRE((*w)->Append(r).ok());
    }
    REQUIRE((*w)->Close().ok());
    REQUIRE(blocks > 20);

    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    CHECK(out.info.num_blocks == blocks);
    REQUIRE(out.records.size() == kRecords);
    for (uint32_t i = 0; i < kRecords; ++i) {
        INFO("record " << i);
        CHECK(AllFields(out.records[i]) == AllFields(MakeRecord(i)));
    }
}

namespace {

// The bytes of `path` from offset 16 on: past the header's creation time.
std::string BytesPastCreated(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f != nullptr);
    std::string bytes;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, n);
    std::fclose(f);
    REQUIRE(bytes.size() > 16);
    return bytes.substr(16);
}

struct Written {
    std::string bytes;
    uint64_t refused = 0;
    uint64_t dropped = 0;
};

// Writes records 0..n-1 of MakeRecord() with an exporter record first, in batches of 1 to 37
// records, each through Append() record by record or through AppendEncoded(); blocks of
// 4 KiB. With `full`, the disk is full (the file cannot grow by a block) from the batch that
// starts at record n/3 to the one that starts at 2n/3.
Written WriteFlows(const std::string& name, bool encoded, uint32_t n, bool full = false) {
    const std::string path = ScratchDir() + "/" + name;
    WriterOptions options;
    options.block_bytes = 4096;
    auto w = NfFileWriter::Create(path, Codec::kNone, "batches", options);
    REQUIRE(w.ok());
    REQUIRE((*w)->AddExporter(MakeExporter(1)).ok());
    std::optional<FileSizeLimit> limit;
    Written out;
    EncodedFlows batch;
    uint32_t i = 0;
    for (uint32_t take = 1; i < n; take = take % 37 + 1) {
        if (full && !limit && i >= n / 3) limit.emplace((*w)->bytes_written() + 1024);
        if (limit && i >= 2 * n / 3) limit->Lift();
        if (!encoded) {
            for (uint32_t k = 0; k < take && i < n; ++k, ++i) {
                if (!(*w)->Append(MakeRecord(i)).ok()) ++out.refused;
            }
            continue;
        }
        batch.Clear();
        for (uint32_t k = 0; k < take && i < n; ++k, ++i) {
            const FlowRecord r = MakeRecord(i);
            batch.Commit(EncodeV3(r, batch.Reserve(kMaxV3RecordSize))) = FlowCounts::Of(r);
        }
        Status first_error;
        out.refused += (*w)->AppendEncoded(batch, &first_error);
    }
    if (limit) limit->Lift();
    REQUIRE((*w)->Close().ok());
    out.dropped = (*w)->flows_dropped();
    out.bytes = BytesPastCreated(path);
    return out;
}

}  // namespace

// Guards AppendEncoded's copy of a whole batch at once (one memcpy per block instead of
// one per record): the file, block ends and stat record must be Append()'s, also when a
// block is refused in the middle of a batch.
TEST_CASE("Flows appended encoded in batches make the file that Append makes",
          "[nffile][writer][regression]") {
    constexpr uint32_t kRecords = 3000;  // some 90 blocks of 4 KiB
    const Written one = WriteFlows("batches-append", false, kRecords);
    const Written batched = WriteFlows("batches-encoded", true, kRecords);
    CHECK(batched.refused == 0);
    CHECK(batched.bytes == one.bytes);

    // A third of the way the disk fills, two thirds of the way there is room again: the
    // blocks in between are cut off and counted, the ones after are written.
    const Written one_full = WriteFlows("batches-append-full", false, kRecords, true);
    const Written batched_full = WriteFlows("batches-encoded-full", true, kRecords, true);
    CHECK(one_full.refused > 0);
    CHECK(one_full.dropped > 0);
    CHECK(one_full.bytes.size() > one.bytes.size() / 2);
    CHECK(batched_full.refused == one_full.refused);
    CHECK(batched_full.dropped == one_full.dropped);
    CHECK(batched_full.bytes == one_full.bytes);
}

TEST_CASE("AppendStored writes a V3 record as it is, elements without fields included",
          "[nffile]") {
    // Generic flow, IPv4 addresses, an element FlowRecord has no fields for (29, payload),
    // one of an id no nfdump defines, and the counters, in that order.
    Bytes generic(48, 0);
    Store64(generic.data(), 1796119200000);
    Store64(generic.data() + 8, 1796119201000);
    Store64(generic.data() + 24, 7);   // packets
    Store64(generic.data() + 32, 900);  // bytes
    generic[44] = 6;
    Bytes addresses(8, 0);
    Store32(addresses.data(), 0x0a000001);
    Store32(addresses.data() + 4, 0x0a000002);
    Bytes counters(24, 0);
    Store64(counters.data(), 3);  // flows
    const Bytes record = flow::nffile::testing::RawV3({{kExGenericFlow, generic},
                                         {kExIpv4Flow, addresses},
                                         {29, Bytes(12, 0x41)},
                                         {250, Bytes(4, 0x42)},
                                         {kExCntFlow, counters}});
    FlowRecord rec;
    ReadCounters rc;
    const char* error = nullptr;
    REQUIRE(DecodeV3(record.data(), record.size(), V3Options{}, &rec, &rc, &error) ==
            Decoded::kFlow);

    const std::string path = ScratchDir() + "/stored_copy.nf";
    {
        auto w = NfFileWriter::Create(path, Codec::kLz4, "stored");
        REQUIRE(w.ok());
        REQUIRE((*w)->AppendStored(rec, record).ok());
        REQUIRE((*w)->Append(rec).ok());  // the same record encoded from its fields
        // Not one V3 record: refused, nothing written.
        CHECK((*w)->AppendStored(rec, std::span<const uint8_t>(record).first(20)).code() ==
              StatusCode::kInvalidArgument);
        Bytes v1 = record;
        Store16(v1.data(), kRecCommon);
        CHECK((*w)->AppendStored(rec, v1).code() == StatusCode::kInvalidArgument);
        REQUIRE((*w)->Close().ok());
    }
    auto reader = NfFileReader::Open(path);
    REQUIRE(reader.ok());
    NfFileReader& r = **reader;
    CHECK(r.info().stat.num_flows == 2);  // both records (3 flows each: a collector's count)
    CHECK(r.info().stat.num_packets == 14);
    REQUIRE(*r.NextBlock());
    FlowRecord got;
    REQUIRE(r.NextRecord(&got));
    const std::span<const uint8_t> copy = r.StoredRecord();
    CHECK(Bytes(copy.begin(), copy.end()) == record);
    REQUIRE(r.NextRecord(&got));
    const std::span<const uint8_t> encoded = r.StoredRecord();
    CHECK(encoded.size() < record.size());  // Append() leaves out 29 and 250
    CHECK(!r.NextRecord(&got));
    std::remove(path.c_str());
}

// SPDX-License-Identifier: BSD-2-Clause
// Damaged files: every prefix of a valid file and single-byte flips in headers, block headers,
// payloads and the appendix. The reader must return a Status (never crash) and hand out the
// complete blocks before the damage unchanged.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "nffile/layout.h"
#include "nffile/nffile_test_util.h"

using namespace flow;
using namespace flow::testing;

namespace {

std::vector<uint8_t> Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void Spit(const std::string& path, const std::vector<uint8_t>& bytes, size_t len) {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    if (len > 0) REQUIRE(std::fwrite(bytes.data(), 1, len, f) == len);
    std::fclose(f);
}

struct Reading {
    Status open_status;
    Status status;
    std::vector<std::string> records;  // AllFields() of each
};

Reading Read(const std::string& path) {
    Reading out;
    auto r = NfFileReader::Open(path);
    if (!r.ok()) {
        out.open_status = r.status();
        return out;
    }
    FlowRecord rec;
    for (;;) {
        Result<bool> more = (*r)->NextBlock();
        if (!more.ok()) {
            out.status = more.status();
            break;
        }
        if (!*more) break;
        while ((*r)->NextRecord(&rec)) out.records.push_back(AllFields(rec));
    }
    return out;
}

// A valid file of several small blocks and where its blocks lie.
struct Sample {
    std::vector<uint8_t> bytes;
    std::vector<std::string> records;
    std::vector<size_t> block_start;    // offset of each data block header
    std::vector<size_t> block_end;      // offset after its payload
    std::vector<size_t> flows_through;  // flow records in blocks 0..i
    size_t appendix = 0;
};

Sample MakeSample(Codec codec, const std::string& name) {
    Sample s;
    const std::string path = ScratchDir() + "/" + name;
    WriterOptions options;
    options.block_bytes = 4096;
    auto w = NfFileWriter::Create(path, codec, "damage", options);
    REQUIRE(w.ok());
    ExporterInfo x;
    x.sysid = 1;
    x.ip = IpAddr::V4(0x7f000001u);
    REQUIRE((*w)->AddExporter(x).ok());
    for (uint32_t i = 0; i < 120; ++i) REQUIRE((*w)->Append(MakeRecord(i)).ok());
    REQUIRE((*w)->Close().ok());
    s.bytes = Slurp(path);

    Reading full = Read(path);
    REQUIRE(full.open_status.ok());
    REQUIRE(full.status.ok());
    s.records = full.records;

    // Walk the block headers ourselves (the layout is ours, see docs/file-format.md).
    s.appendix = static_cast<size_t>(nffile::Load64(s.bytes.data() + 24));
    const uint32_t blocks = nffile::Load32(s.bytes.data() + 36);
    size_t pos = nffile::kHeaderV2Size;
    auto reader = NfFileReader::Open(path);
    REQUIRE(reader.ok());
    FlowRecord rec;
    size_t flows = 0;
    for (uint32_t b = 0; b < blocks; ++b) {
        s.block_start.push_back(pos);
        pos += nffile::kBlockHeaderSize + nffile::Load32(s.bytes.data() + pos + 4);
        s.block_end.push_back(pos);
        REQUIRE((*reader)->NextBlock().value());
        while ((*reader)->NextRecord(&rec)) ++flows;
        s.flows_through.push_back(flows);
    }
    REQUIRE(pos == s.appendix);
    REQUIRE(s.block_start.size() >= 4);
    return s;
}

// Flow records of the blocks that end at or before `offset`.
size_t FlowsBefore(const Sample& s, size_t offset) {
    size_t n = 0;
    for (size_t b = 0; b < s.block_end.size() && s.block_end[b] <= offset; ++b) {
        n = s.flows_through[b];
    }
    return n;
}

void CheckPrefixEqual(const Sample& s, const Reading& got, size_t n) {
    REQUIRE(got.records.size() >= n);
    for (size_t i = 0; i < n; ++i) {
        if (got.records[i] != s.records[i]) {
            CAPTURE(i);
            CHECK(got.records[i] == s.records[i]);
            return;
        }
    }
}

// Offsets worth damaging: every byte of the file header, of each block header and the
// appendix, and a stride through the payloads.
std::vector<size_t> InterestingOffsets(const Sample& s, size_t stride) {
    std::vector<size_t> out;
    for (size_t i = 0; i < nffile::kHeaderV2Size; ++i) out.push_back(i);
    for (size_t b = 0; b < s.block_start.size(); ++b) {
        for (size_t i = 0; i < nffile::kBlockHeaderSize + 4; ++i) {
            out.push_back(s.block_start[b] + i);
        }
        for (size_t i = s.block_start[b] + 16; i < s.block_end[b]; i += stride) out.push_back(i);
        out.push_back(s.block_end[b] - 1);
    }
    for (size_t i = s.appendix; i < s.bytes.size(); ++i) out.push_back(i);
    return out;
}

}  // namespace

TEST_CASE("Every truncation of a file yields the complete blocks before the cut, then a status",
          "[nffile][damage]") {
    const Codec codec = GENERATE(Codec::kNone, Codec::kLzo, Codec::kBz2, Codec::kLz4, Codec::kZstd);
    CAPTURE(CodecName(codec));
    const Sample s = MakeSample(codec, std::string("trunc-src-") + CodecName(codec));
    const std::string path = ScratchDir() + "/trunc-" + CodecName(codec);

    std::vector<size_t> cuts = InterestingOffsets(s, 29);
    for (size_t len : cuts) {
        CAPTURE(len);
        Spit(path, s.bytes, len);
        Reading got = Read(path);
        if (len < nffile::kHeaderV2Size) {
            CHECK(got.open_status.code() == StatusCode::kTruncated);
            continue;
        }
        REQUIRE(got.open_status.ok());
        const size_t complete = FlowsBefore(s, len);
        if (len >= s.appendix) {
            // All data blocks are there; only the appendix (stat, ident) is cut.
            CHECK(got.status.ok());
            CHECK(got.records.size() == s.records.size());
        } else {
            CHECK(got.status.code() == StatusCode::kTruncated);
            CHECK_THAT(got.status.message(), Catch::Contains(path) && Catch::Contains("block"));
            CHECK(got.records.size() == complete);
        }
        CheckPrefixEqual(s, got, complete);
    }
}

TEST_CASE(
    "A flipped byte in headers, block headers, payloads or appendix never crashes and "
    "keeps the blocks before it",
    "[nffile][damage]") {
    const Codec codec = GENERATE(Codec::kNone, Codec::kLzo, Codec::kBz2, Codec::kLz4, Codec::kZstd);
    CAPTURE(CodecName(codec));
    const Sample s = MakeSample(codec, std::string("flip-src-") + CodecName(codec));
    const std::string path = ScratchDir() + "/flip-" + CodecName(codec);

    size_t errors = 0;
    const size_t stride = codec == Codec::kNone ? 3 : 41;
    for (size_t off : InterestingOffsets(s, stride)) {
        for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x80}}) {
            CAPTURE(off, static_cast<int>(mask));
            std::vector<uint8_t> bad = s.bytes;
            bad[off] ^= mask;
            Spit(path, bad, bad.size());
            Reading got = Read(path);
            if (!got.open_status.ok()) {
                // Only the file header decides whether a file opens.
                CHECK(off < nffile::kHeaderV2Size);
                ++errors;
                continue;
            }
            errors += !got.status.ok();
            // Blocks ending before the damaged byte come out unchanged.
            if (off >= nffile::kHeaderV2Size) CheckPrefixEqual(s, got, FlowsBefore(s, off));
            if (!got.status.ok()) {
                CHECK_THAT(got.status.message(), Catch::Contains(path));
            }
        }
    }
    // Most damage is detected (flags and padding bytes are legitimately ignored).
    CHECK(errors > 0);
}

TEST_CASE("Truncated and damaged corpus files of both layouts never crash the reader",
          "[nffile][damage][corpus]") {
    const std::string corpus = CorpusDir();
    if (corpus.empty()) {
        WARN("corpus not found; skipped");
        return;
    }
    for (const char* name : {"nf1625-none", "nf1625-lzo", "sf1625-lz4", "nf171-bz2"}) {
        CAPTURE(name);
        const std::vector<uint8_t> bytes = Slurp(corpus + "/nffile/generated/" + name);
        const Reading full = [&] {
            const std::string p = ScratchDir() + "/v1-full";
            Spit(p, bytes, bytes.size());
            return Read(p);
        }();
        REQUIRE(full.status.ok());
        const std::string path = ScratchDir() + "/v1-damage";
        // Headers, stat record, first block header and the first records every byte; the
        // rest with a stride.
        for (size_t off = 0; off < bytes.size(); off += off < 1200 ? 1 : 211) {
            CAPTURE(off);
            Spit(path, bytes, off);
            Reading cut = Read(path);
            CHECK((!cut.open_status.ok() || !cut.status.ok() ||
                   cut.records.size() == full.records.size()));
            CHECK(cut.records.size() <= full.records.size());

            std::vector<uint8_t> bad = bytes;
            bad[off] ^= 0xff;
            Spit(path, bad, bad.size());
            Reading flipped = Read(path);
            // A flipped size can split a record, but never make the reader run away.
            CHECK(flipped.records.size() <= 2 * full.records.size());
        }
    }
}

TEST_CASE(
    "A prefetching reader reports damage like the synchronous one and can be dropped "
    "mid-file",
    "[nffile][damage]") {
    const Sample s = MakeSample(Codec::kLz4, "prefetch-src");
    const std::string path = ScratchDir() + "/prefetch-cut";
    const size_t cut = (s.block_start[2] + s.block_end[2]) / 2;
    Spit(path, s.bytes, cut);

    for (int depth : {2, 4}) {
        CAPTURE(depth);
        ReaderOptions options;
        options.prefetch_blocks = depth;
        ReadOutcome ahead = ReadWholeFile(path, options);
        REQUIRE(ahead.open_status.ok());
        CHECK(ahead.status.code() == StatusCode::kTruncated);
        CHECK_THAT(ahead.status.message(), Catch::Contains("block 3"));
        CHECK(ahead.records.size() == FlowsBefore(s, cut));

        // Dropped after one block while the thread may be blocked on a full ring.
        Spit(path, s.bytes, s.bytes.size());
        auto r = NfFileReader::Open(path, options);
        REQUIRE(r.ok());
        REQUIRE((*r)->NextBlock().value());
        FlowRecord rec;
        CHECK((*r)->NextRecord(&rec));
        r->reset();  // destroys the reader; must not hang or crash
        Spit(path, s.bytes, cut);
    }
}

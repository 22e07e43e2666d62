// SPDX-License-Identifier: BSD-2-Clause
// NfFileReader::ScanBlock, the record loop flowdump's two-thread scan runs inline: it must
// hand out the records, counters and errors that NextRecord() calls give, resume where a
// visitor stopped it, and let the visitor decode the record whole.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "nffile/layout.h"
#include "nffile/nffile_test_util.h"
#include "nffile/reader_impl.h"
#include "nffile/v3_bytes.h"

using namespace flow;
using namespace flow::testing;
using namespace flow::nffile;
using flow::nffile::testing::Bytes;
using flow::nffile::testing::FileBytes;
using flow::nffile::testing::FirstBlockV3Records;
using flow::nffile::testing::WriteFileBytes;

namespace {

constexpr uint64_t Bit(ElementId id) { return uint64_t{1} << id; }

// What one way of reading a file gave.
struct Read {
    std::vector<FlowRecord> records;  // as handed out, every third decoded whole first
    std::vector<std::string> errors;  // NextBlock() statuses that were not OK
    uint64_t flow_records = 0;
    uint64_t unknown_elements = 0;
};

// Reads `path` with NextRecord() (scan false) or ScanBlock() (scan true), decoding every
// third record whole (DecodeWhole reads the record the reader handed out last, and the next
// record is decoded over the whole one); with `stop_every` the visitor stops the scan after
// that many records and the loop calls ScanBlock() again.
Read ReadFile(const std::string& path, ReaderOptions ro, bool scan, size_t stop_every = 0) {
    Read out;
    auto reader = NfFileReader::Open(path, ro);
    REQUIRE(reader.ok());
    NfFileReader& r = **reader;
    FlowRecord rec;
    for (;;) {
        Result<bool> more = r.NextBlock();
        if (!more.ok()) {
            out.errors.push_back(more.status().ToString());
            continue;
        }
        if (!*more) break;
        if (!scan) {
            while (r.NextRecord(&rec)) {
                if (out.records.size() % 3 == 0) r.DecodeWhole(&rec);
                out.records.push_back(rec);
            }
            continue;
        }
        for (;;) {
            size_t seen = 0;
            bool stopped = false;
            r.ScanBlock(&rec, [&](const FlowRecord& x) {
                CHECK(&x == &rec);
                if (out.records.size() % 3 == 0) r.DecodeWhole(&rec);
                out.records.push_back(rec);
                if (stop_every != 0 && ++seen == stop_every) {
                    stopped = true;
                    return false;
                }
                return true;
            });
            if (!stopped) break;
        }
    }
    out.flow_records = r.counters().flow_records;
    out.unknown_elements = r.counters().unknown_elements;
    return out;
}

void CheckSame(const Read& want, const Read& got) {
    REQUIRE(got.records.size() == want.records.size());
    for (size_t i = 0; i < want.records.size(); ++i) {
        CAPTURE(i);
        CHECK(std::memcmp(&got.records[i], &want.records[i], sizeof(FlowRecord)) == 0);
    }
    CHECK(got.errors == want.errors);
    CHECK(got.flow_records == want.flow_records);
    CHECK(got.unknown_elements == want.unknown_elements);
}

void WriteRecords(const std::string& path, Codec codec, uint32_t count, bool one_layout) {
    auto w = NfFileWriter::Create(path, codec, "scan-block");
    REQUIRE(w.ok());
    for (uint32_t i = 0; i < count; ++i) {
        FlowRecord r = MakeRecord(one_layout ? 7 : i);
        r.first_ms += i;
        r.bytes = 1000 + i;
        REQUIRE((*w)->Append(r).ok());
    }
    REQUIRE((*w)->Close().ok());
}

}  // namespace

TEST_CASE("ScanBlock hands out the records NextRecord gives", "[nffile]") {
    const std::string path = ScratchDir() + "/scan_block.nf";
    for (Codec codec : {Codec::kNone, Codec::kLz4}) {
        // Varied layouts (most records walked) and one layout (most decoded from the list).
        for (bool one_layout : {false, true}) {
            WriteRecords(path, codec, 30000, one_layout);
            for (uint64_t elements : {kAllElements, Bit(kExGenericFlow) | Bit(kExCntFlow)}) {
                CAPTURE(CodecName(codec), one_layout, elements);
                ReaderOptions ro;
                ro.reuse_record = true;
                ro.elements = elements;
                const Read want = ReadFile(path, ro, false);
                REQUIRE(want.records.size() == 30000);
                REQUIRE(want.errors.empty());
                CheckSame(want, ReadFile(path, ro, true));
                // Stopped by the visitor every so often, the next call goes on from there.
                CheckSame(want, ReadFile(path, ro, true, 97));
                CheckSame(want, ReadFile(path, ro, true, 1));
            }
        }
    }
    std::remove(path.c_str());
}

TEST_CASE("ScanBlock stops at a damaged record where NextRecord does", "[nffile]") {
    const std::string path = ScratchDir() + "/scan_block_damaged.nf";
    WriteRecords(path, Codec::kNone, 400, true);
    const Bytes file = FileBytes(path);
    // The flow records of the first V3 block.
    const std::vector<size_t> flows = FirstBlockV3Records(file);
    REQUIRE(flows.size() == 400);
    const std::string damaged = ScratchDir() + "/scan_block_damaged_2.nf";
    // A size below the record header, one past the block's end, and an element count that
    // leaves bytes no element holds.
    for (int kind : {0, 1, 2}) {
        for (size_t which : {size_t{0}, size_t{1}, size_t{250}, size_t{399}}) {
            CAPTURE(kind, which);
            Bytes copy = file;
            uint8_t* rec = copy.data() + flows[which];
            if (kind == 0) Store16(rec + 2, 2);
            if (kind == 1) Store16(rec + 2, 0xffff);
            if (kind == 2) Store16(rec + 4, static_cast<uint16_t>(Load16(rec + 4) - 1));
            REQUIRE(WriteFileBytes(damaged, copy));
            for (uint64_t elements : {kAllElements, Bit(kExGenericFlow)}) {
                ReaderOptions ro;
                ro.reuse_record = true;
                ro.elements = elements;
                const Read want = ReadFile(damaged, ro, false);
                CHECK(want.records.size() == which);
                REQUIRE(want.errors.size() == 1);
                CheckSame(want, ReadFile(damaged, ro, true));
                CheckSame(want, ReadFile(damaged, ro, true, 3));
            }
        }
    }
    std::remove(path.c_str());
    std::remove(damaged.c_str());
}

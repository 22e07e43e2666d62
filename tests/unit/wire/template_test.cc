// SPDX-License-Identifier: BSD-2-Clause
// The fixed-offset paths of RunTemplate (templates without variable-length fields, their
// ops in record order or grouped by kind) must decode every field exactly as the general
// per-field path does.
#include "wire/template.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <new>
#include <vector>

using namespace flow;
using namespace flow::wire::detail;

namespace {

// A FlowRecord on zeroed storage, so two of them compare with memcmp, padding included.
struct ZeroedRecord {
    alignas(FlowRecord) unsigned char storage[sizeof(FlowRecord)];
    FlowRecord* record;
    ZeroedRecord() {
        std::memset(storage, 0, sizeof storage);
        record = new (storage) FlowRecord;
    }
};

// Runs `t` over `bytes` once by the path it compiled to and once by the general one, and
// (for a grouped template) once by the fixed ops in record order.
void ExpectSamePaths(const CompiledTemplate& t, const std::vector<uint8_t>& bytes) {
    REQUIRE_FALSE(t.variable);
    REQUIRE_FALSE(t.fixed_ops.empty());
    if (t.grouped) {
        CompiledTemplate ordered = t;
        ordered.grouped = false;
        ExpectSamePaths(ordered, bytes);
    }
    CompiledTemplate general = t;
    general.variable = true;  // the ops are complete: this walks them one by one

    ZeroedRecord fast, slow;
    Scratch fast_scratch{}, slow_scratch{};
    ByteReader fast_reader(bytes.data(), bytes.size());
    ByteReader slow_reader(bytes.data(), bytes.size());
    REQUIRE(RunTemplate(t, &fast_reader, fast.record, &fast_scratch));
    REQUIRE(RunTemplate(general, &slow_reader, slow.record, &slow_scratch));
    CHECK(fast_reader.offset() == t.min_record_length);
    CHECK(slow_reader.offset() == t.min_record_length);
    CHECK(std::memcmp(fast.storage, slow.storage, sizeof(FlowRecord)) == 0);
    CHECK(fast_scratch.seen == slow_scratch.seen);
    for (int s = 0; s < kSlotCount; ++s) {
        CAPTURE(s);
        CHECK(fast_scratch.Get(static_cast<Slot>(s)) == slow_scratch.Get(static_cast<Slot>(s)));
    }
}

std::vector<uint8_t> Pattern(size_t n) {
    std::vector<uint8_t> b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 37 + 11);
    return b;
}

}  // namespace

TEST_CASE("A fixed-length v9 template decodes every field as the general path does",
          "[wire][template]") {
    // Every FixedKind: 1/2/4/8 bytes into members of the same width, 2 into 4 (#10), 4 into
    // 8 (#8 address, #2 packets), 4-byte scratch (#21/#22), and the general kinds: a 3-byte
    // AS (#16), a 12-byte counter (#85), IPv6 addresses parked in scratch next to IPv4
    // ones (#27/#28), NBAR bytes (#95), and an unknown field that is skipped.
    const std::vector<FieldSpec> fields = {
        {8, 4, 0},   {12, 4, 0},  {7, 2, 0},   {11, 2, 0},  {4, 1, 0},  {6, 1, 0},  {5, 1, 0},
        {10, 2, 0},  {14, 4, 0},  {1, 8, 0},   {2, 4, 0},   {21, 4, 0}, {22, 4, 0}, {16, 3, 0},
        {999, 5, 0}, {85, 12, 0}, {27, 16, 0}, {28, 16, 0}, {95, 6, 0}, {17, 4, 0},
    };
    CompiledTemplate t;
    REQUIRE(CompileDataTemplate(Protocol::kV9, 300, fields, &t));
    CHECK_FALSE(t.grouped);  // #1 and #85 both write bytes
    const std::vector<uint8_t> bytes = Pattern(t.min_record_length);
    ExpectSamePaths(t, bytes);

    // And the values are the wire's, not merely equal between the paths.
    ZeroedRecord r;
    Scratch scratch{};
    ByteReader reader(bytes.data(), bytes.size());
    REQUIRE(RunTemplate(t, &reader, r.record, &scratch));
    CHECK(r.record->src_port == (uint16_t{bytes[8]} << 8 | bytes[9]));
    CHECK(r.record->input == (uint32_t{bytes[15]} << 8 | bytes[16]));
    CHECK(r.record->src_addr.lo == (uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 |
                                    uint32_t{bytes[2]} << 8 | bytes[3]));
    CHECK(r.record->src_as == (uint32_t{bytes[41]} << 16 | uint32_t{bytes[42]} << 8 | bytes[43]));
    CHECK(scratch.Has(kSlotLastUptime));
}

TEST_CASE("A v9 template of every fixed kind, one field per member, runs grouped by kind",
          "[wire][template]") {
    // The fields of the test above with a 12-byte #23 (out bytes) in place of #85, so no
    // member is written twice; #38/#39 engine ids add 1-byte scratch fields (general kind).
    const std::vector<FieldSpec> fields = {
        {8, 4, 0},  {12, 4, 0}, {7, 2, 0},   {11, 2, 0},  {4, 1, 0},   {6, 1, 0},
        {5, 1, 0},  {10, 2, 0}, {14, 4, 0},  {1, 8, 0},   {2, 4, 0},   {21, 4, 0},
        {22, 4, 0}, {16, 3, 0}, {999, 5, 0}, {23, 12, 0}, {27, 16, 0}, {28, 16, 0},
        {95, 6, 0}, {17, 4, 0}, {38, 1, 0},  {39, 1, 0},
    };
    CompiledTemplate t;
    REQUIRE(CompileDataTemplate(Protocol::kV9, 301, fields, &t));
    REQUIRE(t.grouped);
    CHECK(t.moves.size() + t.other_ops.size() == t.fixed_ops.size());
    ExpectSamePaths(t, Pattern(t.min_record_length));
}

TEST_CASE("A fixed-length IPFIX template decodes every field as the general path does",
          "[wire][template]") {
    // IPFIX tcpControlBits in 2 bytes into the 1-byte member, reduced-size counters, an
    // enterprise element that is skipped, and millisecond times into scratch (8 bytes).
    const std::vector<FieldSpec> fields = {
        {6, 2, 0}, {1, 4, 0},  {2, 2, 0}, {152, 8, 0}, {153, 8, 0}, {100, 4, 9999},
        {8, 4, 0}, {12, 4, 0}, {7, 2, 0}, {11, 2, 0},  {4, 1, 0},   {136, 1, 0},
    };
    CompiledTemplate t;
    REQUIRE(CompileDataTemplate(Protocol::kIpfix, 400, fields, &t));
    CHECK(t.grouped);
    ExpectSamePaths(t, Pattern(t.min_record_length));
}

TEST_CASE("A template that writes one member twice keeps its fields in record order",
          "[wire][template]") {
    // #1 (8 bytes) and #85 (4 bytes) both go into bytes, #2 and #86 into packets, #22 twice
    // into one scratch slot: the later field wins, as in the general path, so these
    // templates are not grouped by kind. Reversed, the 8-byte field comes last.
    const std::vector<FieldSpec> forward = {{1, 8, 0},  {8, 4, 0},  {85, 4, 0}, {2, 4, 0},
                                            {86, 8, 0}, {22, 4, 0}, {22, 4, 0}};
    const std::vector<FieldSpec> reversed(forward.rbegin(), forward.rend());
    for (const auto* fields : {&forward, &reversed}) {
        CompiledTemplate t;
        REQUIRE(CompileDataTemplate(Protocol::kIpfix, 401, *fields, &t));
        CHECK_FALSE(t.grouped);
        const std::vector<uint8_t> bytes = Pattern(t.min_record_length);
        ExpectSamePaths(t, bytes);
        ZeroedRecord r;
        Scratch scratch{};
        ByteReader reader(bytes.data(), bytes.size());
        REQUIRE(RunTemplate(t, &reader, r.record, &scratch));
        // The last counter field of the record is the value kept.
        const size_t last_bytes = fields == &forward ? 12 : 28;  // #85 or #1
        const uint64_t want = fields == &forward ? LoadBigEndian32(&bytes[last_bytes])
                                                 : LoadBigEndian(&bytes[last_bytes], 8);
        CHECK(r.record->bytes == want);
    }
}

TEST_CASE("Options templates are grouped too and fill the same scratch slots", "[wire][template]") {
    // A scope field, then #48 sampler id (1 byte: the general kind), #34 interval (4 bytes),
    // #35 algorithm (1 byte), #160 system init time (8 bytes).
    const std::vector<FieldSpec> fields = {
        {1, 4, 0}, {48, 1, 0}, {34, 4, 0}, {35, 1, 0}, {160, 8, 0}};
    CompiledTemplate t;
    REQUIRE(CompileOptionsTemplate(257, fields, 1, &t));
    CHECK(t.grouped);
    ExpectSamePaths(t, Pattern(t.min_record_length));
}

TEST_CASE("The fixed-offset path refuses a record one byte short", "[wire][template]") {
    const std::vector<FieldSpec> fields = {{8, 4, 0}, {12, 4, 0}, {1, 8, 0}};
    CompiledTemplate t;
    REQUIRE(CompileDataTemplate(Protocol::kV9, 256, fields, &t));
    const std::vector<uint8_t> bytes = Pattern(t.min_record_length - 1);
    ZeroedRecord r;
    Scratch scratch{};
    ByteReader reader(bytes.data(), bytes.size());
    CHECK_FALSE(RunTemplate(t, &reader, r.record, &scratch));
}

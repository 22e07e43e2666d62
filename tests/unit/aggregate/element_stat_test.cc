// SPDX-License-Identifier: BSD-2-Clause
// Element statistics (-s): argument parsing and the tables of spec/nfdump-cli.md section 4.5
// over the hand-built Appendix A flows, plus the flat table growing past its first size.
#include <stdlib.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "aggregate/flat_table.h"
#include "aggregate/stat_table.h"
#include "flow/aggregate.h"
#include "unit/output/sample_records.h"

using flow::aggregate::ElementStat;
using flow::aggregate::ParseStatSpec;
using flow::aggregate::StatKind;
using flow::aggregate::StatOrder;
using flow::aggregate::StatPrintOptions;

namespace {

struct Utc {
    Utc() {
        setenv("TZ", "UTC", 1);
        tzset();
    }
};

// All 16 sample flows counted into `stat`; returns their totals.
flow::output::Summary AddSamples(ElementStat* stat) {
    flow::output::Summary totals;
    for (size_t i = 0; i < flow::output::testing::SampleRows().size(); ++i) {
        flow::FlowRecord rec = flow::output::testing::SampleRecord(i);
        stat->Add(rec);
        totals.Add(rec);
    }
    return totals;
}

}  // namespace

TEST_CASE("ParseStatSpec accepts names and :p and orders in canonical sequence") {
    auto s = ParseStatSpec("DstPort:p/bytes/flows");
    REQUIRE(s.ok());
    CHECK(s->kind == StatKind::kDstPort);
    CHECK(s->per_proto);
    REQUIRE(s->orders.size() == 2);
    CHECK(s->orders[0].order == StatOrder::kFlows);
    CHECK(s->orders[1].order == StatOrder::kBytes);

    auto d = ParseStatSpec("proto");
    REQUIRE(d.ok());
    CHECK(d->per_proto);
    REQUIRE(d->orders.size() == 1);
    CHECK(d->orders[0].order == StatOrder::kFlows);

    auto a = ParseStatSpec("ip/bytes:a");
    REQUIRE(a.ok());
    CHECK(a->orders[0].ascending);
}

TEST_CASE("ParseStatSpec rejects unknown stats and orders with nfdump message") {
    for (const char* bad : {"foo", "srcip/xx", "srcip/bytes:x", "record", "srcip:q"}) {
        auto s = ParseStatSpec(bad);
        REQUIRE_FALSE(s.ok());
        CHECK(s.status().message() == std::string("Unknown stat: '") + bad + "'!");
    }
}

TEST_CASE("stat dstport:p/bytes top 3 quiet prints the spec rows") {
    Utc utc;
    ElementStat stat(*ParseStatSpec("dstport:p/bytes"));
    flow::output::Summary totals = AddSamples(&stat);
    StatPrintOptions po;
    po.top_n = 3;
    po.quiet = true;
    std::string out;
    stat.Print(po, totals, &out);
    CHECK(out ==
          "2024-07-11 09:15:02.000     00:01:00.000 TCP               51000        1( 6.2)    "
          "4.2 M(99.9)    6.3 G(99.9)    70000  840.0 M  1500\n"
          "2024-07-11 09:15:02.000     00:01:00.000 TCP                 443        2(12.5)     "
          "5020( 0.1)    5.9 M( 0.1)       83   788666  1178\n"
          "2024-07-11 09:15:06.000     00:01:59.000 UDP                5060        1( 6.2)      "
          "120( 0.0)    96000( 0.0)        1     6453   800\n"
          "\n");
}

TEST_CASE("stat ip/bytes heading and column header and the 10.1.2.3 row") {
    Utc utc;
    ElementStat stat(*ParseStatSpec("ip/bytes"));
    flow::output::Summary totals = AddSamples(&stat);
    StatPrintOptions po;
    po.top_n = 3;
    std::string out;
    stat.Print(po, totals, &out);
    CHECK(out.rfind("Top 3 IP Addr ordered by bytes:\n"
                    "Date first seen                 Duration Proto           IP Addr    "
                    "Flows(%)     Packets(%)       Bytes(%)         pps      bps   bpp\n",
                    0) == 0);
    CHECK(out.find("2024-07-11 09:15:02.000     00:01:00.000 any            10.1.2.3        "
                   "2(12.5)    4.2 M(100.0)    6.3 G(100.0)    70083  840.8 M  1499\n") !=
          std::string::npos);
    CHECK(out.find("192.168.2.20        1( 6.2)      120( 0.0)    96000( 0.0)        1     "
                   "6453   800\n\n") != std::string::npos);
    // ip counts each record for both addresses.
    CHECK(stat.size() == 20);
}

TEST_CASE("stat csv layout uses in-counter header for flows and keeps it when quiet") {
    Utc utc;
    ElementStat stat(*ParseStatSpec("dstport:p/flows"));
    flow::output::Summary totals = AddSamples(&stat);
    StatPrintOptions po;
    po.top_n = 1;
    po.csv = true;
    po.quiet = true;
    std::string out;
    stat.Print(po, totals, &out);
    CHECK(out ==
          "ts,te,td,pr,val,fl,flP,ipkt,ipktP,ibyt,ibytP,ipps,ibps,ibpp\n"
          "2024-07-11 09:15:02,2024-07-11 09:16:02,60.000,TCP,443,2,12.5,5020,0.1,5915000,0.1,"
          "83,788666,1178\n"
          "\n");
}

TEST_CASE("stat pipe rows give the family, ms times and address words as nfdump does") {
    Utc utc;
    ElementStat stat(*ParseStatSpec("srcip/bytes"));
    flow::output::Summary totals = AddSamples(&stat);
    StatPrintOptions po;
    po.top_n = 0;
    po.layout = flow::aggregate::StatLayout::kPipe;
    std::string out;
    stat.Print(po, totals, &out);
    // 10.1.2.3 = 167838211; no heading, a blank line after the table.
    INFO(out);
    CHECK(out.rfind("2|1720689302000|1720689362000|0|0|0|0|167838211|1|4200000|6300000000|"
                    "70000|840000000|1500\n",
                    0) == 0);
    CHECK(out.size() > 2);
    CHECK(out.substr(out.size() - 2) == "\n\n");
    // IPv6 2001:db8:1::10: each 64-bit half byte-swapped, its high word printed first.
    CHECK(out.find("|0|256|3087860000|268435456|0|") != std::string::npos);
    CHECK(out.find("\n10|") != std::string::npos);
}

TEST_CASE("stat json rows are one object per line in nfdump 1.7.2's layout") {
    Utc utc;
    ElementStat stat(*ParseStatSpec("dstport:p/flows"));
    flow::output::Summary totals = AddSamples(&stat);
    StatPrintOptions po;
    po.top_n = 1;
    for (auto layout : {flow::aggregate::StatLayout::kJson, flow::aggregate::StatLayout::kNdjson}) {
        po.layout = layout;
        std::string out;
        stat.Print(po, totals, &out);
        CHECK(out ==
              "{ \"first\" : \"2024-07-11T09:15:02.000\", \"last\" : \"2024-07-11T09:16:02.000\", "
              "\"proto\" : 6, \"dstport\" : \"443\", \"flows\" : 2, \"packets\" : 5020, "
              "\"bytes\" : 5915000, \"pps\" : 83, \"bps\" : 788666, \"bpp\" : 1178}\n");
    }
    // Without :p the protocol is 0; addresses are whole.
    ElementStat ip(*ParseStatSpec("srcip/bytes"));
    AddSamples(&ip);
    po.top_n = 0;
    std::string out;
    ip.Print(po, totals, &out);
    CHECK(out.find("\"proto\" : 0, \"srcip\" : \"2001:db8:1::10\", ") != std::string::npos);
    CHECK(out.find("\n\n") == std::string::npos);
}

TEST_CASE("FlatTable keeps every key across growth") {
    struct Key {
        uint64_t v = 0;
        bool operator==(const Key&) const = default;
        uint64_t Hash() const { return flow::aggregate::detail::Mix64(v); }
    };
    flow::aggregate::detail::FlatTable<Key, uint64_t> table(16);
    for (uint64_t i = 0; i < 10000; ++i) table.FindOrInsert(Key{i % 5000}) += i;
    CHECK(table.size() == 5000);
    CHECK(table.FindOrInsert(Key{7}) == 7 + 5007);
    CHECK(table.size() == 5000);
}

TEST_CASE("StatTable keeps direct and hashed keys apart and across growth") {
    struct Key {
        uint64_t hi = 0;
        uint64_t lo = 0;
        bool operator==(const Key&) const = default;
        uint64_t Hash() const { return flow::aggregate::detail::Mix64(hi * 31 ^ lo); }
    };
    using Table = flow::aggregate::detail::StatTable<Key, uint64_t>;
    for (bool is_direct : {false, true}) {
        CAPTURE(is_direct);
        Table table(is_direct, 16);
        // Numbers below 2^16 (direct when asked), above, and keys with a high half.
        auto key = [](uint64_t i) {
            return i % 3 == 0 ? Key{0, i % 60000} : i % 3 == 1 ? Key{0, 70000 + i} : Key{i, 5};
        };
        for (uint64_t i = 0; i < 30000; ++i) {
            Key k = key(i % 15000);
            uint32_t* direct = table.DirectSlot(k);
            CHECK((direct != nullptr) == (is_direct && k.hi == 0 && k.lo < 65536));
            table.FindOrInsert(k, table.Locate(k)) += i;
        }
        CHECK(table.size() == 15000);
        for (uint64_t i : {0, 3, 4, 5, 14999}) {
            Key k = key(i);
            CHECK(table.FindOrInsert(k) == i + (i + 15000));
            CHECK(table.Find(k, table.Locate(k)) != 0);
        }
        CHECK(table.Find(Key{1, 1}, table.Locate(Key{1, 1})) == 0);
        CHECK(table.size() == 15000);
        CHECK(table.keys().size() == table.values().size());
    }
}

TEST_CASE("StatTable tells short keys from long keys of the same bits") {
    // A long key whose hash puts it where a short key goes, with the short key's number as
    // its tag, and short keys that differ in high bits only or are 0: every one an entry of
    // its own, found again after the index has grown several times.
    struct Key {
        uint64_t hi = 0;
        uint64_t lo = 0;
        uint64_t hash = 0;  // what Hash() gives, made up by the test
        bool operator==(const Key& o) const { return hi == o.hi && lo == o.lo; }
        uint64_t Hash() const { return hash; }
    };
    using Table = flow::aggregate::detail::StatTable<Key, uint64_t>;
    Table table(false, 16);
    auto short_probe = [](uint32_t v) { return Table::ShortProbe(v); };
    // The long twin of short key v: same home position at every index size, tag v.
    auto twin = [](uint32_t v) {
        const uint64_t h = Table::ShortProbe(v).hash;
        return Key{1, v, (h & 0xffffffff00000000ULL) | v};
    };
    std::vector<uint32_t> numbers;
    for (uint32_t i = 0; i < 3000; ++i) {
        numbers.push_back(i);                // 0 included
        numbers.push_back(i << 16);          // low bits shared with i = 0
        numbers.push_back(0x0a000000u | i);  // 10.0.x.x
        numbers.push_back(0xffffffffu - i);
    }
    uint64_t count = 0;
    for (int round = 0; round < 2; ++round) {
        for (uint32_t v : numbers) {
            // Repeated numbers (i << 16 is i for i = 0) count twice on the same entry.
            table.FindOrInsert(Key{0, v}, short_probe(v)) += 1;
            table.FindOrInsert(twin(v), Table::LongProbe(twin(v))) += 100;
            count += 101;
        }
    }
    std::set<uint32_t> distinct(numbers.begin(), numbers.end());
    CHECK(table.size() == 2 * distinct.size());
    uint64_t sum = 0;
    for (uint64_t v : table.values()) sum += v;
    CHECK(sum == count);
    for (uint32_t v : {0u, 1u << 16, 0x0a000005u, 0xffffffffu, 2999u}) {
        CAPTURE(v);
        const uint64_t times = 2 * std::count(numbers.begin(), numbers.end(), v);
        const size_t s = table.Find(Key{0, v}, short_probe(v));
        const size_t l = table.Find(twin(v), Table::LongProbe(twin(v)));
        REQUIRE(s != 0);
        REQUIRE(l != 0);
        CHECK(s != l);
        CHECK(table.value(s) == times);
        CHECK(table.value(l) == 100 * times);
        CHECK(table.keys()[s - 1].hi == 0);
        CHECK(table.keys()[l - 1].hi == 1);
    }
    CHECK(table.Find(Key{0, 3000}, short_probe(3000)) == 0);
    CHECK(table.Find(twin(3000), Table::LongProbe(twin(3000))) == 0);
}

TEST_CASE("statistics of many values count every record, merged or not") {
    // Values are added at once while a table holds few and queued once it holds many
    // (ElementStat::Impl::Count); size, Merge and Print see them all, and a value counted
    // in both ways has all its counts.
    Utc utc;
    flow::FlowRecord rec = flow::output::testing::SampleRecord(0);
    for (const char* spec : {"inif/flows", "srcport/flows", "srcip/flows", "dstport:p"}) {
        CAPTURE(spec);
        ElementStat all(*ParseStatSpec(spec));
        ElementStat a(*ParseStatSpec(spec));
        ElementStat b(*ParseStatSpec(spec));
        flow::output::Summary totals;
        const bool interface = spec[0] == 'i';
        const bool address = spec[3] == 'i';
        std::set<uint64_t> distinct;
        for (uint64_t i = 0; i < 20000; ++i) {
            // Key 123456 (above the direct range) 50 times, 42 40 times, the rest scattered.
            uint64_t v = i < 50 ? 123456 : i < 90 ? 42 : (i * 2654435761u) % 200000;
            if (i >= 90 && (v & 0xffff) < 100) v += 100;  // no more 42s
            if (i % 1000 == 999) v = 7;                   // 20 times, early and late
            if (address) v |= 0x0a000000;                // 10.x.x.x
            if (!interface && !address) v &= 0xffff;     // ports: 123456 turns into 57920
            rec.input = static_cast<uint32_t>(v);
            rec.src_port = static_cast<uint16_t>(v);
            rec.dst_port = static_cast<uint16_t>(v);
            rec.src_addr = flow::IpAddr{0, v};
            distinct.insert(v);
            all.Add(rec);
            (i % 3 == 0 ? a : b).Add(rec);
            totals.Add(rec);
        }
        CHECK(all.size() == distinct.size());
        a.Merge(b);
        CHECK(a.size() == distinct.size());
        StatPrintOptions po;
        po.top_n = 0;
        std::string want;
        std::string got;
        all.Print(po, totals, &want);
        a.Print(po, totals, &got);
        CHECK(got == want);
        po.top_n = 3;
        po.quiet = true;
        po.plain = true;
        std::string top;
        all.Print(po, totals, &top);
        const char* first = interface ? " 123456 " : address ? " 10.1.226.64 " : " 57920 ";
        const char* second = address ? " 10.0.0.42 " : " 42 ";
        CAPTURE(top);
        size_t at_first = top.find(first);
        size_t at_second = top.find(second);
        CHECK(at_first != std::string::npos);
        CHECK(at_second != std::string::npos);
        CHECK(at_first < at_second);
        CHECK(top.find(" 50(") != std::string::npos);
        CHECK(top.find(" 40(") != std::string::npos);
        CHECK(top.find(" 20(") != std::string::npos);
    }
}

TEST_CASE("statistics past the queue's size count each key once, merged or not") {
    // Tables of 16384 values and more queue their counts (ElementStat::Impl::Enqueue). IPv4
    // and IPv6 addresses sharing their low 64 bits, :p keys short (a number below 2^24 with
    // its protocol) and long (an address with its protocol), numbers of 32 bits and more:
    // each a row of its own, counted the same when two halves are merged.
    Utc utc;
    flow::FlowRecord rec = flow::output::testing::SampleRecord(0);
    rec.flows = 1;
    for (const char* spec : {"srcip", "srcip:p", "dstport:p", "inif", "srcport", "ip"}) {
        CAPTURE(spec);
        ElementStat all(*ParseStatSpec(spec));
        ElementStat a(*ParseStatSpec(spec));
        ElementStat b(*ParseStatSpec(spec));
        flow::output::Summary totals;
        std::set<std::tuple<uint64_t, uint64_t, int>> keys;
        const std::string name = spec;
        const bool per_proto = name.find(":p") != std::string::npos;
        const bool both = name == "ip";  // two values a record
        const bool ip = both || name.rfind("srcip", 0) == 0;
        for (uint64_t i = 0; i < 90000; ++i) {
            const uint64_t v = (i * 2654435761u) % 30011;
            const uint8_t proto = (i / 7) % 2 == 0 ? 6 : 17;
            rec.proto = proto;
            if (ip) {
                // v4 0.0.x.x-ish and 10.x.x.x, and IPv6 with the same low half.
                const uint64_t lo = v % 3 == 0 ? v : 0x0a000000u | v;
                rec.src_addr = flow::IpAddr{v % 5 == 0 ? 0x20010db800000000ULL : 0, lo};
                rec.dst_addr = rec.src_addr;
                keys.insert({rec.src_addr.hi, lo, per_proto ? proto : 0});
            } else {
                rec.input = static_cast<uint32_t>(v % 2 == 0 ? v : v * 150001);
                rec.src_port = rec.dst_port = static_cast<uint16_t>(v * 7);
                const uint64_t n = spec[0] == 'i' ? rec.input : rec.src_port;
                keys.insert({0, n, per_proto ? proto : 0});
            }
            all.Add(rec);
            (i % 5 < 2 ? a : b).Add(rec);
            totals.Add(rec);
        }
        CHECK(keys.size() > 16384);
        CHECK(all.size() == keys.size());
        a.Merge(b);
        CHECK(a.size() == keys.size());
        StatPrintOptions po;
        po.top_n = 0;
        po.quiet = true;
        po.csv = true;
        std::string want;
        std::string got;
        all.Print(po, totals, &want);
        a.Print(po, totals, &got);
        CHECK(got == want);
        // Every record counted once (twice for ip): the csv's flow column sums to the total.
        uint64_t flows = 0;
        size_t rows = 0;
        std::istringstream lines(want);
        std::string line;
        std::getline(lines, line);  // the header
        while (std::getline(lines, line) && !line.empty()) {
            size_t f = 0;
            for (int comma = 0; comma < 5; ++comma) f = line.find(',', f) + 1;
            flows += std::stoull(line.substr(f));
            ++rows;
        }
        CHECK(rows == keys.size());
        CHECK(flows == (both ? 2 : 1) * 90000);
    }
}

TEST_CASE("two statistics of disjoint records merged print as one that counted all") {
    // flowdump counts on two threads and merges their tables; the tables print the same
    // whichever thread counted a record, ties included.
    Utc utc;
    for (const char* spec : {"srcip/bytes", "dstport:p/flows/packets", "ip/bps", "proto"}) {
        CAPTURE(spec);
        ElementStat all(*ParseStatSpec(spec));
        ElementStat even(*ParseStatSpec(spec));
        ElementStat odd(*ParseStatSpec(spec));
        flow::output::Summary totals;
        for (size_t i = 0; i < flow::output::testing::SampleRows().size(); ++i) {
            flow::FlowRecord rec = flow::output::testing::SampleRecord(i);
            all.Add(rec);
            (i % 2 == 0 ? even : odd).Add(rec);
            totals.Add(rec);
        }
        odd.Merge(even);
        CHECK(odd.size() == all.size());
        StatPrintOptions po;
        po.top_n = 0;
        std::string want;
        std::string got;
        all.Print(po, totals, &want);
        odd.Print(po, totals, &got);
        CHECK(got == want);
        CHECK(!want.empty());
    }
}

TEST_CASE("statistics name the record elements they read") {
    auto elements = [](const char* spec) {
        return ElementStat(*ParseStatSpec(spec)).elements_read();
    };
    auto has = [](uint64_t bits, flow::ElementId id) { return (bits >> id) & 1u; };
    for (const char* spec : {"srcip", "dstip/bytes", "ip:p", "dstport", "proto", "as", "if"}) {
        CAPTURE(spec);
        const uint64_t bits = elements(spec);
        CHECK(bits != flow::kAllElements);
        // Counters, times and the protocol always.
        CHECK(has(bits, flow::kExGenericFlow));
        CHECK(has(bits, flow::kExCntFlow));
    }
    CHECK(has(elements("srcip"), flow::kExIpv4Flow));
    CHECK(has(elements("srcip"), flow::kExIpv6Flow));
    CHECK(has(elements("ip"), flow::kExIpv6Flow));
    CHECK(!has(elements("dstport"), flow::kExIpv4Flow));
    CHECK(has(elements("as"), flow::kExAsRouting));
    CHECK(has(elements("if"), flow::kExFlowMisc));
    CHECK(has(elements("router"), flow::kExIpReceivedV6));
    // Statistics not narrowed down read everything.
    CHECK(elements("mpls1") == flow::kAllElements);
    CHECK(elements("event") == flow::kAllElements);
    CHECK(elements("srcmac") == flow::kAllElements);
}

// SPDX-License-Identifier: BSD-2-Clause
// Whole listings against the verbatim nfdump 1.7.1 output in spec/nfdump-cli.md section 4
// (line, long, extended, -N, biline, empty result) and the non-fmt samples of section 3.8
// (csv, pipe, json, raw). Records are the hand-built Appendix A flows.
#include <stdlib.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "flow/output.h"
#include "output/formats.h"
#include "unit/output/sample_records.h"

using flow::FlowRecord;
using flow::output::CreatePrinter;
using flow::output::OutputOptions;
using flow::output::RunInfo;
using flow::output::Summary;
using namespace flow::output::testing;

namespace {

// Every expected text in the spec was printed with TZ=UTC.
struct UtcZone {
    UtcZone() {
        setenv("TZ", "UTC", 1);
        tzset();
    }
};
const UtcZone kUtc;

// The run facts of the spec's sample runs: the file's stat window and block bytes.
RunInfo SampleRun(uint64_t processed, uint64_t passed) {
    RunInfo run;
    run.processed = processed;
    run.passed = passed;
    run.bytes_read = 2768;
    run.window_first_s = 1720689300;  // 09:15:00
    run.window_last_s = 1720689425;   // 09:17:05
    return run;
}

// Prints `records` as a full listing and returns the text.
std::string Listing(const std::string& format, const std::vector<FlowRecord>& records,
                    const RunInfo& run, OutputOptions options = {}) {
    std::string out;
    auto printer = CreatePrinter(format, options, &out);
    REQUIRE(printer.ok());
    Summary summary;
    printer->Begin();
    for (const FlowRecord& r : records) {
        printer->Print(r);
        summary.Add(r);
    }
    REQUIRE(printer->Finish(summary, run).ok());
    return out;
}

std::vector<FlowRecord> Pick(std::initializer_list<size_t> numbers) {
    std::vector<FlowRecord> out;
    for (size_t n : numbers) out.push_back(SampleRecord(n - 1));
    return out;
}

}  // namespace

TEST_CASE("line listing of the sample file matches nfdump 1.7.1 byte for byte", "[output]") {
    std::string text = Listing("line", SampleRecords(), SampleRun(16, 16));
    const std::string expected =
        "Date first seen             Duration     Proto      Src IP Addr:Port          Dst IP "
        "Addr:Port   Packets    Bytes Flows\n"
        "2024-07-11 09:15:00.000     00:00:01.500 TCP       192.168.1.10:51234 ->         "
        "10.0.0.1:80          10     5200     1\n"
        "2024-07-11 09:15:00.010     00:00:01.490 TCP           10.0.0.1:80    ->     "
        "192.168.1.10:51234        8    12000     1\n"
        "2024-07-11 09:15:00.200     00:00:00.000 UDP       192.168.1.11:40000 ->          "
        "8.8.8.8:53           1       64     1\n"
        "2024-07-11 09:15:00.250     00:00:00.000 UDP            8.8.8.8:53    ->     "
        "192.168.1.11:40000        1      128     1\n"
        "2024-07-11 09:15:01.000     00:00:03.000 ICMP      192.168.1.12:0     ->       "
        "172.16.5.5:0.0          4      336     1\n"
        "2024-07-11 09:15:01.005     00:00:03.000 ICMP        172.16.5.5:0     ->     "
        "192.168.1.12:0.0          4      336     1\n"
        "2024-07-11 09:15:02.000     00:01:00.000 TCP       192.168.1.13:51000 ->         "
        "10.1.2.3:443       5000    5.9 M     1\n"
        "2024-07-11 09:15:02.000     00:01:00.000 TCP           10.1.2.3:443   ->     "
        "192.168.1.13:51000    4.2 M    6.3 G     1\n"
        "2024-07-11 09:15:05.000     00:00:00.000 TCP       192.168.1.14:1024  ->         "
        "10.0.0.2:22           1       40     1\n"
        "2024-07-11 09:15:05.001     00:00:00.000 TCP           10.0.0.2:22    ->     "
        "192.168.1.14:1024         1       40     1\n"
        "2024-07-11 09:15:06.000     00:01:59.000 UDP       192.168.2.20:5060  ->         "
        "10.0.0.3:5060       120    96000     1\n"
        "2024-07-11 09:15:07.000     00:00:12.345 TCP       192.168.2.21:33333 ->         "
        "10.0.0.4:8080        30    20000     1\n"
        "2024-07-11 09:15:03.000     00:00:02.500 TCP     2001:db8:1::10.50000 ->   "
        "2001:db8:2::20.443         20    15000     1\n"
        "2024-07-11 09:15:03.001     00:00:02.499 TCP     2001:db8:2::20.443   ->   "
        "2001:db8:1::10.50000       25    30000     1\n"
        "2024-07-11 09:15:04.000     00:00:00.010 UDP   2001:db..f0:1234.44444 -> "
        "2a00:14..b::200e.53           2      180     1\n"
        "2024-07-11 09:15:08.000     00:00:00.000 ICMP6          fe80::1.0     ->          "
        "ff02::1.0.0          1       72     1\n"
        "Summary: total flows: 16, total bytes: 6.3 G, total packets: 4.2 M, avg bps: 403.6 M, "
        "avg pps: 33641, avg bpp: 1499\n"
        "Time window: 2024-07-11 09:15:00 - 2024-07-11 09:17:05\n"
        "Total flows processed: 16, passed: 16, Blocks skipped: 0, Bytes read: 2768\n";
    CHECK(WithoutLastLine(text) == expected);

    // The timing line has nfdump's shape; its numbers are real measurements.
    std::string last = text.substr(WithoutLastLine(text).size());
    CHECK(std::regex_match(last, std::regex("Sys: [0-9]+\\.[0-9]{4}s User: [0-9]+\\.[0-9]{4}s "
                                            "Wall: [0-9]+\\.[0-9]{4}s flows/second: "
                                            "[0-9]+\\.[0-9] Runtime: [0-9]+\\.[0-9]{4}s\n")));
}

TEST_CASE("long, extended and -N extended listings match nfdump 1.7.1", "[output]") {
    SECTION("long, records 1-4") {
        std::string text = Listing("long", Pick({1, 2, 3, 4}), SampleRun(4, 4));
        CHECK(WithoutLastLine(text) ==
              "Date first seen             Duration     Proto      Src IP Addr:Port          "
              "Dst IP Addr:Port     Flags Tos  Packets    Bytes Flows\n"
              "2024-07-11 09:15:00.000     00:00:01.500 TCP       192.168.1.10:51234 ->       "
              "  10.0.0.1:80    ...AP.SF   0       10     5200     1\n"
              "2024-07-11 09:15:00.010     00:00:01.490 TCP           10.0.0.1:80    ->     "
              "192.168.1.10:51234 ...AP.S.   0        8    12000     1\n"
              "2024-07-11 09:15:00.200     00:00:00.000 UDP       192.168.1.11:40000 ->       "
              "   8.8.8.8:53    ........   0        1       64     1\n"
              "2024-07-11 09:15:00.250     00:00:00.000 UDP            8.8.8.8:53    ->     "
              "192.168.1.11:40000 ........   0        1      128     1\n"
              "Summary: total flows: 4, total bytes: 17392, total packets: 20, avg bps: 92757, "
              "avg pps: 13, avg bpp: 869\n"
              "Time window: 2024-07-11 09:15:00 - 2024-07-11 09:17:05\n"
              "Total flows processed: 4, passed: 4, Blocks skipped: 0, Bytes read: 2768\n");
    }
    SECTION("extended, records 1, 2, 7") {
        std::string text = Listing("extended", Pick({1, 2, 7}), SampleRun(7, 3));
        CHECK(WithoutLastLine(text) ==
              "Date first seen             Duration     Proto      Src IP Addr:Port          "
              "Dst IP Addr:Port     Flags Tos  Packets    Bytes      pps      bps    Bpp Flows\n"
              "2024-07-11 09:15:00.000     00:00:01.500 TCP       192.168.1.10:51234 ->       "
              "  10.0.0.1:80    ...AP.SF   0       10     5200        6    27733    520     1\n"
              "2024-07-11 09:15:00.010     00:00:01.490 TCP           10.0.0.1:80    ->     "
              "192.168.1.10:51234 ...AP.S.   0        8    12000        5    64429   1500     1\n"
              "2024-07-11 09:15:02.000     00:01:00.000 TCP       192.168.1.13:51000 ->       "
              "  10.1.2.3:443   ...APRSF  40     5000    5.9 M       83   786666   1180     1\n"
              "Summary: total flows: 3, total bytes: 5.9 M, total packets: 5018, avg bps: "
              "763509, avg pps: 80, avg bpp: 1179\n"
              "Time window: 2024-07-11 09:15:00 - 2024-07-11 09:17:05\n"
              "Total flows processed: 7, passed: 3, Blocks skipped: 0, Bytes read: 2768\n");
    }
    SECTION("-N extended, records 7, 8") {
        OutputOptions plain;
        plain.plain_numbers = true;
        std::string text = Listing("extended", Pick({7, 8}), SampleRun(16, 2), plain);
        CHECK(WithoutLastLine(text) ==
              "Date first seen             Duration     Proto      Src IP Addr:Port          "
              "Dst IP Addr:Port     Flags Tos  Packets    Bytes      pps      bps    Bpp Flows\n"
              "2024-07-11 09:15:02.000           60.000 6         192.168.1.13:51000 ->       "
              "  10.1.2.3:443   ...APRSF  40     5000  5900000       83   786666   1180     1\n"
              "2024-07-11 09:15:02.000           60.000 6             10.1.2.3:443   ->     "
              "192.168.1.13:51000 ...AP.SF  40  4200000 6300000000    70000 840000000   1500   "
              "  1\n"
              "Summary: total flows: 2, total bytes: 6305900000, total packets: 4205000, avg "
              "bps: 840786666, avg pps: 70083, avg bpp: 1499\n"
              "Time window: 2024-07-11 09:15:00 - 2024-07-11 09:17:05\n"
              "Total flows processed: 16, passed: 2, Blocks skipped: 0, Bytes read: 2768\n");
    }
}

TEST_CASE("biline listing of bidirectional aggregates counts in and out in the summary",
          "[output]") {
    // The four -b aggregates of spec 4.4: out = reverse direction, flows = merged count.
    auto agg = [](size_t fwd, int64_t rev, uint64_t flows) {
        FlowRecord r = SampleRecord(fwd - 1);
        r.Set(flow::kExCntFlow);
        r.flows = flows;
        if (rev > 0) {
            FlowRecord back = SampleRecord(static_cast<size_t>(rev) - 1);
            r.out_packets = back.packets;
            r.out_bytes = back.bytes;
            if (back.last_ms > r.last_ms) r.last_ms = back.last_ms;
        }
        return r;
    };
    std::vector<FlowRecord> records = {agg(1, 2, 2), agg(3, 4, 2), agg(5, 0, 1), agg(6, 0, 1)};
    std::string text = Listing("biline", records, SampleRun(6, 6));
    CHECK(WithoutLastLine(text) ==
          "Date first seen             Duration     Proto      Src IP Addr:Port           Dst "
          "IP Addr:Port   Out Pkt   In Pkt Out Byte  In Byte Flows\n"
          "2024-07-11 09:15:00.000     00:00:01.500 TCP       192.168.1.10:51234 <->         "
          "10.0.0.1:80           8       10    12000     5200     2\n"
          "2024-07-11 09:15:00.200     00:00:00.050 UDP       192.168.1.11:40000 <->          "
          "8.8.8.8:53           1        1      128       64     2\n"
          "2024-07-11 09:15:01.000     00:00:03.000 ICMP      192.168.1.12:0     <->       "
          "172.16.5.5:0.0          0        4        0      336     1\n"
          "2024-07-11 09:15:01.005     00:00:03.000 ICMP        172.16.5.5:0     <->     "
          "192.168.1.12:0.0          0        4        0      336     1\n"
          "Summary: total flows: 6, total bytes: 18064, total packets: 28, avg bps: 36082, avg "
          "pps: 6, avg bpp: 645\n"
          "Time window: 2024-07-11 09:15:00 - 2024-07-11 09:17:05\n"
          "Total flows processed: 6, passed: 6, Blocks skipped: 0, Bytes read: 2768\n");
}

TEST_CASE("an empty result prints the header, No matching flows and a zero summary", "[output]") {
    std::string text = Listing("line", {}, SampleRun(16, 0));
    CHECK(WithoutLastLine(text) ==
          "Date first seen             Duration     Proto      Src IP Addr:Port          Dst IP "
          "Addr:Port   Packets    Bytes Flows\n"
          "No matching flows\n"
          "Summary: total flows: 0, total bytes: 0, total packets: 0, avg bps: 0, avg pps: 0, "
          "avg bpp: 0\n"
          "Time window: 2024-07-11 09:15:00 - 2024-07-11 09:17:05\n"
          "Total flows processed: 16, passed: 0, Blocks skipped: 0, Bytes read: 2768\n");

    SECTION("-q keeps only the No matching flows line, in every format") {
        OutputOptions quiet;
        quiet.quiet = true;
        for (const char* format : {"line", "csv", "pipe", "raw", "null", "extended"}) {
            CAPTURE(format);
            CHECK(Listing(format, {}, SampleRun(16, 0), quiet) == "No matching flows\n");
        }
        // json stays a valid (empty) array with -q (1.7.1 prints no brackets).
        CHECK(Listing("json", {}, SampleRun(16, 0), quiet) == "[\n]\n");
    }
    SECTION("json without -q wraps the line in brackets, as 1.7.1 does") {
        CHECK(Listing("json", {}, SampleRun(16, 0)) == "[\nNo matching flows\n]\n");
    }
    SECTION("csv keeps its header and Summary block") {
        CHECK(Listing("csv", {}, SampleRun(16, 0)) ==
              std::string(
                  "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,"
                  "dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,"
                  "mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr\n") +
                  "No matching flows\nSummary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n"
                  "0,0,0,0,0,0\n");
    }
    SECTION("ndjson prints nothing at all") {
        CHECK(Listing("ndjson", {}, SampleRun(16, 0)).empty());
    }
}

TEST_CASE("csv prints the 48-column record and the three-line Summary block", "[output]") {
    std::string text = Listing("csv", SampleRecords(), SampleRun(16, 16));
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < text.size();) {
        size_t nl = text.find('\n', pos);
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    REQUIRE(lines.size() == 1 + 16 + 3);
    CHECK(lines[0].rfind("ts,te,td,sa,da,sp,dp,pr,flg,", 0) == 0);
    CHECK(lines[1] ==
          "2024-07-11 09:15:00,2024-07-11 09:15:01,1.500,192.168.1.10,10.0.0.1,51234,80,TCP,"
          "...AP.SF,0,0,10,5200,0,0,1,2,65001,65002,24,8,0,0,192.168.1.1,0.0.0.0,10,20,"
          "00:11:22:33:44:55,66:77:88:99:aa:bb,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,"
          "0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,"
          "127.0.0.1,0/1,1,2026-12-04 15:09:41.803");
    // ICMP keeps the stored port, IPv6 addresses are printed in full.
    CHECK(lines[5].find(",192.168.1.12,172.16.5.5,0,0,ICMP,") != std::string::npos);
    CHECK(lines[15].find(",2001:db8:abcd:1234:5678:9abc:def0:1234,2a00:1450:4001:80b::200e,") !=
          std::string::npos);
    CHECK(lines[17] == "Summary");
    CHECK(lines[18] == "flows,bytes,packets,avg_bps,avg_pps,avg_bpp");
    CHECK(lines[19] == "16,6306079396,4205228,403589081,33641,1499");

    SECTION("-q drops header and Summary block") {
        OutputOptions quiet;
        quiet.quiet = true;
        std::string q = Listing("csv", SampleRecords(), SampleRun(16, 16), quiet);
        CHECK(q.rfind("2024-07-11 09:15:00,2024-07-11 09:15:01,1.500,", 0) == 0);
        CHECK(std::count(q.begin(), q.end(), '\n') == 16);
    }
}

TEST_CASE("pipe prints af, ms times and 32-bit address words without header or summary",
          "[output]") {
    std::string text = Listing("pipe", Pick({1, 13}), SampleRun(16, 2));
    CHECK(text ==
          "2|1720689300000|1720689301500|6|0|0|0|3232235786|51234|0|0|0|167772161|80|65001|"
          "65002|1|2|27|0|10|5200\n"
          "10|1720689303000|1720689305500|6|536939960|65536|0|16|50000|536939960|131072|0|32|"
          "443|65001|65002|1|2|27|0|20|15000\n");
}

TEST_CASE("json prints 1.7.1's pretty array with one key per line", "[output]") {
    std::string text = Listing("json", Pick({1, 2}), SampleRun(16, 2));
    const std::string first =
        "[\n"
        "{\n"
        "\t\"type\" : \"FLOW\",\n"
        "\t\"sampled\" : 0,\n"
        "\t\"export_sysid\" : 1,\n"
        "\t\"first\" : \"2024-07-11T09:15:00.000\",\n"
        "\t\"last\" : \"2024-07-11T09:15:01.500\",\n"
        "\t\"received\" : \"2026-12-04T15:09:41.803\",\n"
        "\t\"in_packets\" : 10,\n"
        "\t\"in_bytes\" : 5200,\n"
        "\t\"proto\" : 6,\n"
        "\t\"tcp_flags\" : \"...AP.SF\",\n"
        "\t\"src_port\" : 51234,\n"
        "\t\"dst_port\" : 80,\n"
        "\t\"src_tos\" : 0,\n"
        "\t\"src4_addr\" : \"192.168.1.10\",\n"
        "\t\"dst4_addr\" : \"10.0.0.1\",\n"
        "\t\"input_snmp\" : 1,\n"
        "\t\"output_snmp\" : 2,\n"
        "\t\"src_mask\" : 24,\n"
        "\t\"dst_mask\" : 8,\n"
        "\t\"src_net\" : \"192.168.1.0\",\n"
        "\t\"dst_net\" : \"10.0.0.0\",\n"
        "\t\"fwd_status\" : 0,\n"
        "\t\"direction\" : 0,\n"
        "\t\"dst_tos\" : 0,\n"
        "\t\"src_vlan\" : 10,\n"
        "\t\"dst_vlan\" : 20,\n"
        "\t\"src_as\" : 65001,\n"
        "\t\"dst_as\" : 65002,\n"
        "\t\"ip4_next_hop\" : \"192.168.1.1\",\n"
        "\t\"ip4_router\" : \"127.0.0.1\",\n"
        "\t\"in_src_mac\" : \"00:11:22:33:44:55\",\n"
        "\t\"out_dst_mac\" : \"66:77:88:99:aa:bb\",\n"
        "\t\"in_dst_mac\" : \"00:00:00:00:00:00\",\n"
        "\t\"out_src_mac\" : \"00:00:00:00:00:00\",\n"
        "\t\"label\" : \"<none>\"\n"
        "},\n"
        "{\n";
    CHECK(text.substr(0, first.size()) == first);
    CHECK(text.size() > first.size() + 4);
    const std::string tail = "\t\"label\" : \"<none>\"\n}]\n";
    CHECK(text.substr(text.size() - tail.size()) == tail);

    SECTION("-q keeps the document a JSON array (1.7.1 drops the brackets)") {
        OutputOptions quiet;
        quiet.quiet = true;
        std::string q = Listing("json", Pick({1, 2}), SampleRun(16, 2), quiet);
        CHECK(q == Listing("json", Pick({1, 2}), SampleRun(16, 2)));
        CHECK(q.rfind("[\n{\n\t\"type\" : \"FLOW\",\n", 0) == 0);
        CHECK(q.substr(q.size() - 3) == "}]\n");
    }
    SECTION("ndjson puts the same keys on one line per record") {
        std::string nd = Listing("ndjson", Pick({1, 2}), SampleRun(16, 2));
        CHECK(std::count(nd.begin(), nd.end(), '\n') == 2);
        CHECK(nd.rfind("{\"type\":\"FLOW\",\"sampled\":0,\"export_sysid\":1,\"first\":"
                       "\"2024-07-11T09:15:00.000\",",
                       0) == 0);
        CHECK(nd.find("\"label\":\"<none>\"}\n{\"type\"") != std::string::npos);
    }
}

TEST_CASE("raw prints the element dump of 1.7.1", "[output]") {
    std::string text = Listing("raw", Pick({5}), SampleRun(16, 1));
    const std::string head =
        "\n"
        "Flow Record: \n"
        "  RecordCount  =                 1\n"
        "  Flags        =              0x00 NETFLOW v9, Unsampled\n"
        "  Elements     =                 8: 1 2 4 6 7 10 12 15 \n"
        "  size         =               172\n"
        "  engine type  =                 0\n"
        "  engine ID    =                 1\n"
        "  export sysid =                 1\n"
        "  first        =     1720689301000 [2024-07-11 09:15:01.000]\n"
        "  last         =     1720689304000 [2024-07-11 09:15:04.000]\n"
        "  received at  =     1796396981803 [2026-12-04 15:09:41.803]\n"
        "  proto        =                 1 ICMP\n"
        "  tcp flags    =              0x00 ........\n"
        "  ICMP         =               0.0  type.code\n"
        "  in packets   =                 4\n"
        "  in bytes     =               336\n"
        "  src addr     =      192.168.1.12\n"
        "  dst addr     =        172.16.5.5\n"
        "  input        =                 1\n"
        "  output       =                 4\n"
        "  src mask     =                24 192.168.1.0/24\n"
        "  dst mask     =                16 172.16.0.0/16\n";
    CHECK(text.substr(0, head.size()) == head);
    CHECK(text.find("  ip next hop  =       192.168.1.1\n"
                    "  ip exporter  =         127.0.0.1\n"
                    "  in src mac   = 00:11:22:33:44:57\n") != std::string::npos);
    // The text summary follows the records.
    CHECK(text.find("\nSummary: total flows: 1, total bytes: 336, total packets: 4,") !=
          std::string::npos);
}

TEST_CASE("null prints only the summary block", "[output]") {
    std::string text = Listing("null", SampleRecords(), SampleRun(16, 16));
    CHECK(text.rfind("Summary: total flows: 16, total bytes: 6.3 G,", 0) == 0);
    CHECK(std::count(text.begin(), text.end(), '\n') == 4);
}

TEST_CASE("RunTimer measures real elapsed time", "[output]") {
    flow::output::RunTimer timer;
    timespec pause{0, 20 * 1000 * 1000};
    nanosleep(&pause, nullptr);
    volatile double sink = 0;
    for (int i = 0; i < 2000000; ++i) sink = sink + i * 0.5;
    flow::output::Timing t = timer.Stop();
    CHECK(t.wall_s >= 0.02);
    CHECK(t.wall_s < 5.0);
    CHECK(t.runtime_s >= t.wall_s);
    CHECK(t.user_s + t.sys_s > 0.0);

    RunInfo run = SampleRun(16, 16);
    run.timing = t;
    std::string summary = flow::output::FormatSummary(Summary{}, run, false, false);
    CHECK(summary.find("flows/second: ") != std::string::npos);
}

TEST_CASE("Summary counts in and out counters, aggregated flows, and 0 flows as 1", "[output]") {
    Summary s;
    FlowRecord a = SampleRecord(0);  // 10 pkts, 5200 B, 09:15:00.000 - 09:15:01.500
    a.out_packets = 8;
    a.out_bytes = 12000;
    a.flows = 2;
    s.Add(a);
    FlowRecord b = SampleRecord(10);  // 120 pkts, 96000 B, 09:15:06 - 09:17:05
    b.flows = 0;                      // 1.6 files store 0 for unaggregated flows
    s.Add(b);
    CHECK(s.flows == 3);
    CHECK(s.packets == 138);
    CHECK(s.bytes == 113200);
    CHECK(s.first_ms == kBaseMs);
    CHECK(s.last_ms == kBaseMs + 125000);

    Summary other;
    other.Add(SampleRecord(1));
    s.Merge(other);
    CHECK(s.flows == 4);
    CHECK(s.bytes == 125200);
    CHECK(s.first_ms == kBaseMs);

    RunInfo run = SampleRun(16, 3);
    // 125200 B * 8 / 125 s = 8012 bps; 146 pkts / 125 s = 1 pps; 125200 / 146 = 857 bpp
    CHECK(flow::output::FormatSummary(s, run, false, false)
              .rfind("Summary: total flows: 4, total bytes: 125200, total packets: 146, avg "
                     "bps: 8012, avg pps: 1, avg bpp: 857\nTime window: 2024-07-11 09:15:00 - "
                     "2024-07-11 09:17:05\nTotal flows processed: 16, passed: 3, Blocks "
                     "skipped: 0, Bytes read: 2768\nSys: ",
                     0) == 0);
    CHECK(flow::output::FormatSummary(s, run, false, true) ==
          "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n4,125200,146,8012,1,857\n");
    // Files whose flows carry no time: nfdump 1.7.1 knows an end but no start.
    run.window_first_s = 0;
    CHECK(flow::output::FormatSummary(s, run, false, false)
              .find("\nTime window: Time Window unknown\n") != std::string::npos);
    // No stat time at all (no file, or not an nfdump file).
    run.window_last_s = 0;
    CHECK(flow::output::FormatSummary(s, run, false, false).find("\nTime window: <unknown>\n") !=
          std::string::npos);
}

TEST_CASE("records printed by two printers and joined by PrintText print as by one", "[output]") {
    const std::vector<FlowRecord> records = SampleRecords();
    REQUIRE(records.size() >= 2);
    for (const char* format :
         {"line", "long", "extended", "csv", "pipe", "ndjson", "fmt:%ts %sa"}) {
        CAPTURE(format);
        OutputOptions options;
        std::string whole;
        auto one = CreatePrinter(format, options, &whole);
        REQUIRE(one.ok());
        CHECK_FALSE(one->numbers_records());
        one->Begin();
        for (const FlowRecord& r : records) one->Print(r);
        REQUIRE(one->Finish(Summary{}, SampleRun(records.size(), records.size())).ok());

        // Each record printed by a printer of its own, their texts joined in order.
        std::string joined;
        auto main = CreatePrinter(format, options, &joined);
        REQUIRE(main.ok());
        main->Begin();
        for (size_t i = 0; i < records.size(); ++i) {
            std::string part;
            auto side = CreatePrinter(format, options, &part);
            REQUIRE(side.ok());
            side->Print(records[i]);
            REQUIRE(side->Flush().ok());
            main->PrintText(part);
        }
        REQUIRE(main->Finish(Summary{}, SampleRun(records.size(), records.size())).ok());
        CHECK(joined == whole);
    }
    // Formats whose text depends on a record's number or place in the list.
    for (const char* format : {"json", "raw", "fmt:%cnt %sa"}) {
        CAPTURE(format);
        std::string out;
        auto p = CreatePrinter(format, OutputOptions{}, &out);
        REQUIRE(p.ok());
        CHECK(p->numbers_records());
    }
}

// Regression (newcomer): an NSEL user name is whatever the firewall sent; bytes that are not
// UTF-8 went into the JSON text as they were, and a console's JSON parser refused the whole
// document. Well-formed UTF-8 stays as it is, any other byte becomes \u00XX.
TEST_CASE("json user names stay valid UTF-8 whatever bytes the record holds", "[output]") {
    FlowRecord r = SampleRecord(0);
    r.Set(flow::kExNselCommon);
    r.Set(flow::kExNselUser);
    const char name[] = "J\xc3\xbcrgen\xff\xe0\x80\x80\x01\"\xf0\x9f\x98\x80\xed\xa0\x80";
    std::memcpy(r.username, name, sizeof(name));
    const std::string nd = Listing("ndjson", {r}, SampleRun(1, 1));
    const std::string want =
        "\"user_name\":\"J\xc3\xbcrgen\\u00ff\\u00e0\\u0080\\u0080\\u0001\\\"\xf0\x9f\x98\x80"
        "\\u00ed\\u00a0\\u0080\"";
    CHECK(nd.find(want) != std::string::npos);
    const std::string pretty = Listing("json", {r}, SampleRun(1, 1));
    CHECK(pretty.find("\"user_name\" : \"J\xc3\xbcrgen\\u00ff") != std::string::npos);
}

TEST_CASE("summary averages: none for a zero time span, bytes per packet for a negative one",
          "[output]") {
    using flow::output::detail::ComputeAverages;
    Summary s;
    s.flows = 1;
    s.bytes = 168;
    s.packets = 2;
    // A flow stored with its end 1 ms before its start (nfdump 1.7.1 prints avg bpp 84).
    s.first_ms = 1431516026232;
    s.last_ms = 1431516026231;
    auto a = ComputeAverages(s);
    CHECK(a.bpp == 84);
    CHECK(a.bps == 0);
    CHECK(a.pps == 0);
    s.last_ms = s.first_ms;
    a = ComputeAverages(s);
    CHECK(a.bpp == 0);
    CHECK(a.bps == 0);
    s.last_ms = s.first_ms + 2000;
    a = ComputeAverages(s);
    CHECK(a.bpp == 84);
    CHECK(a.bps == 672);
    CHECK(a.pps == 1);
}

// SPDX-License-Identifier: BSD-2-Clause
// nfdump.conf and the formats it names: the input is a configuration file's text.
// ParseNfConf must return a Result (never crash, never throw anything but bad_alloc), and
// every format it yields, selected by name and with the 6 suffix, must compile to a Printer
// or be refused, and print a record when it compiles.
#include <string>

#include "flow/nfconf.h"
#include "flow/output.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    flow::Result<flow::NfConf> conf = flow::ParseNfConf(text, "fuzz.conf");
    if (!conf.ok()) {
        flow::fuzz::Expect(conf.status().message().rfind("Failed to parse config file fuzz.conf: ",
                                                          0) == 0,
                           "a refused file is named in the message");
        return 0;
    }
    flow::output::OutputOptions options;
    options.formats = &conf->formats;
    flow::FlowRecord rec;
    rec.src_addr = flow::IpAddr::V4(0xc0a8010a);
    rec.dst_addr = flow::IpAddr::V4(0x0a000001);
    rec.proto = 6;
    rec.packets = 3;
    rec.bytes = 180;
    for (const flow::output::UserFormat& f : conf->formats) {
        for (const std::string& name : {f.name, f.name + "6", "fmt:%" + f.name}) {
            std::string out;
            auto printer = flow::output::CreatePrinter(name, options, &out);
            if (!printer.ok()) continue;
            printer->Begin();
            printer->Print(rec);
            (void)printer->Finish(flow::output::Summary{}, flow::output::RunInfo{});
        }
    }
    return 0;
}

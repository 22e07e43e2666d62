// SPDX-License-Identifier: BSD-2-Clause
// -g: one line per file for gnuplot, the slot time from the file's name and the flows,
// packets and bytes from its stat record.
#include <cinttypes>
#include <cstdio>
#include <string_view>

#include "flow/nffile.h"
#include "query.h"

namespace flowdump {

namespace {

// "nfcapd.YYYYMMDDhhmm[ss]" -> "YYYY-MM-DD hh:mm:ss" (seconds 00 when the name has none);
// false when the name carries no such time.
bool SlotTime(std::string_view path, char (&out)[20]) {
    const size_t slash = path.rfind('/');
    std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const size_t dot = name.rfind('.');
    if (dot == std::string_view::npos) return false;
    std::string_view digits = name.substr(dot + 1);
    if (digits.size() != 12 && digits.size() != 14) return false;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
    }
    const std::string_view seconds = digits.size() == 14 ? digits.substr(12, 2) : "00";
    std::snprintf(out, sizeof(out), "%.4s-%.2s-%.2s %.2s:%.2s:%.2s", digits.data(),
                  digits.data() + 4, digits.data() + 6, digits.data() + 8, digits.data() + 10,
                  seconds.data());
    return true;
}

}  // namespace

int RunGnuplot(const std::vector<std::string>& files) {
    std::printf("# yyyy-mm-dd HH:MM:SS,flows,packets,bytes\n");
    int rc = 0;
    for (const std::string& path : files) {
        char when[20];
        if (!SlotTime(path, when)) {
            // nfdump stops at the first file without a time in its name.
            std::printf("No datstring\n");
            break;
        }
        auto reader = flow::NfFileReader::Open(path);
        if (!reader.ok()) {
            FileError(path, reader.status());
            rc = 1;
            continue;
        }
        // An unclosed file has no stat record yet: zeros, as nfdump prints.
        const flow::StatRecord& st = (*reader)->info().stat;
        std::printf("%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", when, st.num_flows,
                    st.num_packets, st.num_bytes);
    }
    return rc;
}

}  // namespace flowdump

// SPDX-License-Identifier: BSD-2-Clause
// EncodeV3 walks the presence bits of a record: the elements must still come out in
// nfcapd's order (ascending ids, the exporter address last) with V3Size's total.
#include <catch2/catch.hpp>
#include <vector>

#include "nffile/layout.h"
#include "nffile/records.h"

using namespace flow;
using namespace flow::nffile;

TEST_CASE("EncodeV3 writes elements by ascending id with the exporter address last",
          "[nffile][writer]") {
    FlowRecord r;
    for (ElementId id : {kExIpReceivedV4, kExNselCommon, kExGenericFlow, kExMplsLabel, kExIpv4Flow,
                         kExCntFlow, kExVlan, kExFlowMisc, kExNbarApp}) {
        r.Set(id);
    }
    r.nbar_len = 3;
    std::vector<uint8_t> out(kMaxV3RecordSize);
    const size_t n = EncodeV3(r, out.data());
    CHECK(n == V3Size(r));
    CHECK(Load16(out.data() + 2) == n);

    std::vector<uint16_t> ids;
    for (size_t off = kV3HeaderSize; off < n; off += Load16(out.data() + off + 2)) {
        ids.push_back(Load16(out.data() + off));
    }
    const std::vector<uint16_t> want = {kExGenericFlow, kExIpv4Flow, kExFlowMisc,
                                        kExCntFlow,     kExVlan,     kExMplsLabel,
                                        kExNselCommon,  kExNbarApp,  kExIpReceivedV4};
    CHECK(ids == want);
    CHECK(Load16(out.data() + 4) == want.size());
}

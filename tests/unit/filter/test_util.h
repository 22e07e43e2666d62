// SPDX-License-Identifier: BSD-2-Clause
// Small helpers for filter unit tests: compile-or-fail, match one record, build records.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "flow/filter.h"
#include "flow/record.h"
#include "unit/filter/fixture.h"

namespace flow::filter::testing {

inline Filter MustCompile(const std::string& text, const CompileOptions& options = {}) {
    Result<Filter> f = Filter::Compile(text, options);
    INFO("filter: " << text);
    INFO("error: " << f.status().message());
    REQUIRE(f.ok());
    return f.value();
}

inline bool Matches(const std::string& text, const FlowRecord& rec, uint64_t count = 0) {
    Filter f = MustCompile(text);
    MatchContext ctx;
    ctx.count = count;
    return f.Match(rec, ctx);
}

// The compile error message for `text`, or "" when it compiles.
inline std::string ErrorOf(const std::string& text, const CompileOptions& options = {}) {
    Result<Filter> f = Filter::Compile(text, options);
    if (f.ok()) return "";
    CHECK(f.status().code() == StatusCode::kInvalidArgument);
    return f.status().message();
}

inline FlowRecord MakeFlow(const char* src, const char* dst, uint8_t proto, uint16_t sport,
                           uint16_t dport) {
    FlowRecord r;
    r.Set(kExGenericFlow);
    r.src_addr = ParseIp(src);
    r.dst_addr = ParseIp(dst);
    bool v6 = std::string(src).find(':') != std::string::npos;
    r.Set(v6 ? kExIpv6Flow : kExIpv4Flow);
    r.proto = proto;
    r.src_port = sport;
    r.dst_port = dport;
    r.first_ms = 1720689300000ull;
    r.last_ms = r.first_ms + 1000;
    r.packets = 10;
    r.bytes = 1000;
    return r;
}

}  // namespace flow::filter::testing

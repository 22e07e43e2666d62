// SPDX-License-Identifier: BSD-2-Clause
// Tests of the bounds-checked big-endian reader every wire decoder reads through.
#include "wire/byte_reader.h"

#include <catch2/catch.hpp>

using flow::wire::detail::ByteReader;

TEST_CASE("ByteReader reads big-endian integers and advances", "[wire][bytes]") {
    const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                             0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
    ByteReader r(bytes, sizeof bytes);
    uint8_t a = 0;
    uint16_t b = 0;
    uint32_t c = 0;
    uint64_t d = 0;
    REQUIRE(r.U8(&a));
    REQUIRE(r.U16(&b));
    REQUIRE(r.U32(&c));
    REQUIRE(r.U64(&d));
    CHECK(a == 0x01);
    CHECK(b == 0x0203);
    CHECK(c == 0x04050607u);
    CHECK(d == 0x08090a0b0c0d0e0full);
    CHECK(r.empty());
    CHECK(r.offset() == 15);
}

TEST_CASE("ByteReader refuses reads past the end and keeps its cursor", "[wire][bytes]") {
    const uint8_t bytes[] = {0xaa, 0xbb, 0xcc};
    ByteReader r(bytes, sizeof bytes);
    uint32_t v32 = 7;
    CHECK_FALSE(r.U32(&v32));
    CHECK(v32 == 7);
    CHECK(r.offset() == 0);
    CHECK_FALSE(r.Skip(4));
    ByteReader sub;
    CHECK_FALSE(r.Sub(4, &sub));
    REQUIRE(r.Sub(2, &sub));
    CHECK(sub.size() == 2);
    CHECK(r.remaining() == 1);
    uint16_t v16 = 0;
    REQUIRE(sub.U16(&v16));
    CHECK(v16 == 0xaabb);
    uint8_t v8 = 0;
    CHECK_FALSE(sub.U8(&v8));
}

TEST_CASE("ByteReader UInt handles every width and keeps the low bytes of wide values",
          "[wire][bytes]") {
    const uint8_t bytes[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa};
    auto [n, expected] = GENERATE(table<size_t, uint64_t>({
        {1, 0x11},
        {2, 0x1122},
        {3, 0x112233},
        {4, 0x11223344},
        {6, 0x112233445566},
        {8, 0x1122334455667788},
        {10, 0x33445566778899aa},
    }));
    CAPTURE(n);
    ByteReader r(bytes, sizeof bytes);
    uint64_t v = 0;
    REQUIRE(r.UInt(n, &v));
    CHECK(v == expected);
    CHECK(r.offset() == n);
}

TEST_CASE("ByteReader reads both variable-length prefix forms", "[wire][bytes]") {
    const uint8_t short_form[] = {0x05, 'h', 't', 't', 'p', 's'};
    const uint8_t long_form[] = {0xff, 0x01, 0x2c};
    const uint8_t cut_long[] = {0xff, 0x01};
    size_t n = 0;
    ByteReader a(short_form, sizeof short_form);
    REQUIRE(a.VarLength(&n));
    CHECK(n == 5);
    CHECK(a.remaining() == 5);
    ByteReader b(long_form, sizeof long_form);
    REQUIRE(b.VarLength(&n));
    CHECK(n == 300);
    CHECK(b.empty());
    ByteReader c(cut_long, sizeof cut_long);
    CHECK_FALSE(c.VarLength(&n));
    CHECK(c.offset() == 0);
}

TEST_CASE("ByteReader reads an IPv6 address as two host-order halves", "[wire][bytes]") {
    const uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
    ByteReader r(addr, sizeof addr);
    uint64_t hi = 0;
    uint64_t lo = 0;
    REQUIRE(r.Ipv6(&hi, &lo));
    CHECK(hi == 0x20010db800000000ull);
    CHECK(lo == 1);
    ByteReader shorter(addr, 15);
    CHECK_FALSE(shorter.Ipv6(&hi, &lo));
}

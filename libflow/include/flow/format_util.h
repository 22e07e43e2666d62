// SPDX-License-Identifier: BSD-2-Clause
// Text conversions shared by every nfdump-style printer (record formats, statistics tables,
// summaries): scaled counters, durations, local times, addresses, protocol names and TCP
// flag strings, each byte for byte as nfdump 1.7.1 prints them. All functions write into a
// caller-supplied char array and return the length; none allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flow/record.h"

namespace flow::output {

// Large enough for any text produced below (a full IPv6 address is 39 chars, a local time
// with milliseconds 23, a scaled or plain 64-bit counter 20, a duration at most 60).
inline constexpr size_t kTextSize = 64;

// A counter as nfdump's format_number prints it: below 1 000 000 the plain integer, else
// one decimal and a unit with decimal factors ("5.9 M", "6.3 G", "1.2 T"; no K step).
// `fixed` selects the column form: "%4.0f" / "%5.1f M" (so "  40", "  5.9 M"); otherwise the
// free form of the Summary line ("40", "5.9 M"). With `plain` (-N) always the integer.
size_t FormatCounter(uint64_t value, bool plain, bool fixed, char* out);

// `value` / 1000 with three decimals, exactly as printf's "%.3f" of value / 1000.0 prints
// it (durations in seconds, latencies in ms from microseconds).
size_t FormatThousandths(uint64_t value, char* out);

// Duration of `ms` milliseconds as nfdump 1.7.1's %td: "    HH:MM:SS.mmm" (16 chars) under
// one day, "%2dd HH:MM:SS.mmm" from one day on.
size_t FormatDuration(uint64_t ms, char* out);

// `ms` since the UNIX epoch as local "YYYY-MM-DD HH:MM:SS" plus ".mmm" when `with_ms`.
// `sep` is the character between date and time (' ' in text, 'T' in json).
// NOTE: each thread caches the text of the last second it converted, so a change of TZ
// after the first call is seen only from the next different second on.
size_t FormatLocalTime(uint64_t ms, bool with_ms, char sep, char* out);

// Epoch seconds as local "YYYY-MM-DD HH:MM:SS" (the Summary "Time window:" form).
size_t FormatLocalSeconds(int64_t seconds, char* out);

// The address in inet_ntop form (IPv4 dotted quad from the low 32 bits when !v6).
size_t FormatIp(const IpAddr& addr, bool v6, char* out);

// IPv6 text shortened for fixed-width columns: texts longer than 16 characters become the
// first 7 characters + ".." + the last 7 ("2001:db..f0:1234"). IPv4 is never shortened.
size_t FormatIpShort(const IpAddr& addr, bool v6, char* out);

// nfdump's protocol name: "TCP", "UDP", "ICMP", "ICMP6", ...; the decimal number for
// protocols without a name: "0", "99", "128", "134" as they stand in nfdump's table, and
// 138 and above left-aligned in five columns ("138  "), as nfdump prints them. At most 5
// characters.
std::string_view ProtoName(uint8_t proto);

// The 8-character flag string "CEUAPRSF" with '.' for clear bits (bit 7 .. bit 0).
void FormatTcpFlags(uint8_t flags, char* out);

// A 48-bit MAC in the low bits of `mac` as "xx:xx:xx:xx:xx:xx" (17 chars).
size_t FormatMac(uint64_t mac, char* out);

}  // namespace flow::output

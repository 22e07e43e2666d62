// SPDX-License-Identifier: BSD-2-Clause
// Endpoint conversions and the stable names of decode error kinds.
#include "flow/exporter_table.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace flow::wire {

Endpoint Endpoint::V4(uint32_t host_order, uint16_t port) {
    Endpoint e;
    e.addr = IpAddr::V4(host_order);
    e.port = port;
    return e;
}

Endpoint Endpoint::V6(const uint8_t* bytes, uint16_t port) {
    static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kMappedPrefix, sizeof kMappedPrefix) == 0) {
        const uint32_t v4 = (uint32_t{bytes[12]} << 24) | (uint32_t{bytes[13]} << 16) |
                            (uint32_t{bytes[14]} << 8) | bytes[15];
        return V4(v4, port);
    }
    Endpoint e;
    e.addr = IpAddr::V6(bytes);
    e.v6 = true;
    e.port = port;
    return e;
}

Result<Endpoint> Endpoint::FromSockaddr(const void* sockaddr, size_t len) {
    if (sockaddr == nullptr || len < sizeof(sa_family_t)) {
        return Status::InvalidArgument("sockaddr: too short");
    }
    sa_family_t family = 0;
    std::memcpy(&family, static_cast<const uint8_t*>(sockaddr) + offsetof(sockaddr_in, sin_family),
                sizeof family);
    if (family == AF_INET && len >= sizeof(sockaddr_in)) {
        sockaddr_in sin;
        std::memcpy(&sin, sockaddr, sizeof sin);
        return V4(ntohl(sin.sin_addr.s_addr), ntohs(sin.sin_port));
    }
    if (family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        sockaddr_in6 sin6;
        std::memcpy(&sin6, sockaddr, sizeof sin6);
        return V6(sin6.sin6_addr.s6_addr, ntohs(sin6.sin6_port));
    }
    return Status::InvalidArgument("sockaddr: family " + std::to_string(family) + " with length " +
                                   std::to_string(len) + " not supported");
}

std::string Endpoint::ToString() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (v6) {
        uint8_t bytes[16];
        addr.ToBytes(bytes);
        inet_ntop(AF_INET6, bytes, text, sizeof text);
    } else {
        const uint32_t v4 = htonl(addr.v4());
        inet_ntop(AF_INET, &v4, text, sizeof text);
    }
    return text;
}

std::string_view DecodeErrorName(DecodeError error) {
    switch (error) {
        case DecodeError::kTruncatedHeader:
            return "truncated_header";
        case DecodeError::kUnknownVersion:
            return "unknown_version";
        case DecodeError::kBadRecordCount:
            return "bad_record_count";
        case DecodeError::kRecordsTruncated:
            return "records_truncated";
        case DecodeError::kMessageLengthMismatch:
            return "ipfix_message_length_mismatch";
        case DecodeError::kSetTooShort:
            return "set_length_too_short";
        case DecodeError::kSetExceedsMessage:
            return "set_length_exceeds_message";
        case DecodeError::kReservedSetId:
            return "reserved_set_id";
        case DecodeError::kTemplateTruncated:
            return "template_truncated";
        case DecodeError::kTemplateInvalid:
            return "template_invalid";
        case DecodeError::kTemplateTooManyFields:
            return "template_too_many_fields";
        case DecodeError::kTemplateLimit:
            return "template_limit_reached";
        case DecodeError::kRecordTruncated:
            return "data_record_truncated";
        case DecodeError::kHeldDataDropped:
            return "held_data_dropped";
        case DecodeError::kExporterLimit:
            return "exporter_limit_reached";
        case DecodeError::kSamplerLimit:
            return "sampler_limit_reached";
        case DecodeError::kCount:
            break;
    }
    return "unknown";
}

}  // namespace flow::wire

// SPDX-License-Identifier: BSD-2-Clause
// Encoding and sending of the -m metric messages (layout in metric_socket.h).
#include "metric_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "collector.h"

namespace flowcapd {

namespace {

// Host byte order: the reader runs on the same host.
template <typename T>
void Put(std::string* out, size_t offset, T value) {
    std::memcpy(out->data() + offset, &value, sizeof(value));
}

}  // namespace

std::vector<std::string> EncodeMetricMessages(const std::vector<MetricRecord>& records,
                                              uint16_t interval_s, uint64_t now_ms,
                                              uint64_t uptime_s) {
    std::vector<std::string> messages;
    for (size_t first = 0; first < records.size(); first += kMaxMetricRecords) {
        const size_t count = std::min(kMaxMetricRecords, records.size() - first);
        std::string msg(kMetricHeaderBytes + count * kMetricRecordBytes, '\0');
        Put<uint16_t>(&msg, 0, kMetricPrefix);
        Put<uint16_t>(&msg, 2, static_cast<uint16_t>(count * kMetricRecordBytes));
        Put<uint16_t>(&msg, 4, static_cast<uint16_t>(count));
        Put<uint16_t>(&msg, 6, interval_s);
        Put<uint64_t>(&msg, 8, now_ms);
        Put<uint64_t>(&msg, 16, uptime_s);
        for (size_t i = 0; i < count; ++i) {
            const MetricRecord& r = records[first + i];
            const size_t at = kMetricHeaderBytes + i * kMetricRecordBytes;
            // The ident is cut to 127 bytes so that it stays NUL terminated.
            std::memcpy(msg.data() + at, r.ident.data(),
                        std::min(r.ident.size(), kMetricIdentBytes - 1));
            Put<uint64_t>(&msg, at + 128, r.exporter_id);
            for (size_t k = 0; k < 4; ++k) {
                Put<uint64_t>(&msg, at + 136 + 8 * k, r.flows[k]);
                Put<uint64_t>(&msg, at + 168 + 8 * k, r.bytes[k]);
                Put<uint64_t>(&msg, at + 200 + 8 * k, r.packets[k]);
            }
        }
        messages.push_back(std::move(msg));
    }
    return messages;
}

bool MetricSocket::Probe() { return SendOne(std::string()); }

bool MetricSocket::Send(const std::vector<std::string>& messages) {
    bool ok = true;
    for (const std::string& m : messages) ok = SendOne(m) && ok;
    return ok;
}

bool MetricSocket::SendOne(const std::string& message) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.data(), std::min(path_.size(), sizeof(addr.sun_path) - 1));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    // A message is a few hundred bytes (at most 64 KiB), which the socket buffer takes whole;
    // a partial send would leave the reader with half a message, so it counts as a failure.
    if (ok && !message.empty()) {
        ok = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT) ==
             static_cast<ssize_t>(message.size());
    }
    const std::string why = ok ? std::string() : std::strerror(errno);
    if (fd >= 0) ::close(fd);
    if (ok) {
        if (failing_) Log(LOG_INFO, "metric socket '" + path_ + "' reachable again");
        failing_ = false;
        return true;
    }
    if (!message.empty()) ++failures_;
    if (!failing_) {
        Log(LOG_WARNING, "metric socket '" + path_ + "' unreachable: " + why +
                             (message.empty() ? "" : "; metrics of this interval lost"));
    }
    failing_ = true;
    return false;
}

}  // namespace flowcapd

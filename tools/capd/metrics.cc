// SPDX-License-Identifier: BSD-2-Clause
// The --prometheus responder: address parsing, the exposition text and a poll() loop that
// serves GET /metrics to a few clients at a time over HTTP/1.0.
#include "metrics.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "collector.h"

namespace flowcapd {

namespace {

uint64_t MonotonicMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Label values are quoted; the exposition format escapes backslash, quote and newline.
std::string Escape(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

// Appends the HELP and TYPE lines of one metric family.
void Family(std::string* out, const char* name, const char* type, const char* help) {
    *out += "# HELP ";
    *out += name;
    *out += ' ';
    *out += help;
    *out += "\n# TYPE ";
    *out += name;
    *out += ' ';
    *out += type;
    *out += '\n';
}

void Sample(std::string* out, const char* name, const std::string& labels, uint64_t value) {
    *out += name;
    if (!labels.empty()) *out += "{" + labels + "}";
    *out += ' ';
    *out += std::to_string(value);
    *out += '\n';
}

std::string IdentLabel(const SourceSample& s) { return "ident=\"" + Escape(s.ident) + "\""; }

std::string ExporterLabels(const MetricsSnapshot& snap, const ExporterSample& e) {
    return IdentLabel(snap.sources[e.source]) + ",exporter=\"" + e.info.address.ToString() +
           "\",version=\"" + std::to_string(e.info.version) + "\",source_id=\"" +
           std::to_string(e.info.id) + "\"";
}

uint64_t Sum(const std::array<uint64_t, flow::wire::kDecodeErrorCount>& errors) {
    uint64_t total = 0;
    for (uint64_t n : errors) total += n;
    return total;
}

// One family with one sample per flow source.
template <typename Get>
void PerSource(std::string* out, const MetricsSnapshot& snap, const char* name, const char* type,
               const char* help, Get get) {
    Family(out, name, type, help);
    for (const SourceSample& s : snap.sources) Sample(out, name, IdentLabel(s), get(s));
}

// One family with one sample per exporter.
template <typename Get>
void PerExporter(std::string* out, const MetricsSnapshot& snap, const char* name, const char* help,
                 Get get) {
    Family(out, name, "counter", help);
    for (const ExporterSample& e : snap.exporters) {
        Sample(out, name, ExporterLabels(snap, e), get(e.info.counters));
    }
}

const char* StatusText(int code) {
    switch (code) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 431:
            return "Request Header Fields Too Large";
        case 503:
            return "Service Unavailable";
        default:
            return "Error";
    }
}

std::string HttpResponse(int code, const std::string& body, bool head_only = false) {
    const char* type =
        code == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8";
    std::string out =
        "HTTP/1.0 " + std::to_string(code) + " " + StatusText(code) + "\r\nContent-Type: " + type +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    if (!head_only) out += body;
    return out;
}

}  // namespace

flow::Result<PrometheusEndpoint> ParsePrometheusEndpoint(const std::string& text) {
    auto bad = [&](const std::string& why) {
        return flow::Status::InvalidArgument("--prometheus '" + text + "': " + why);
    };
    std::string host;
    std::string port;
    if (!text.empty() && text[0] == '[') {
        const size_t close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return bad("expected [IPv6]:PORT");
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const size_t colon = text.find(':');
        if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) {
            return bad("expected IPv4:PORT or [IPv6]:PORT");
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    char* end = nullptr;
    errno = 0;
    const long p = port.empty() ? 0 : std::strtol(port.c_str(), &end, 10);
    if (port.empty() || errno != 0 || *end != '\0' || p < 1 || p > 65535) {
        return bad("port must be 1..65535");
    }

    PrometheusEndpoint ep;
    ep.text = text;
    if (text[0] == '[') {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
        if (::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1) {
            return bad("'" + host + "' is not a numeric IPv6 address");
        }
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(p));
        ep.len = sizeof(sockaddr_in6);
        ep.loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    } else {
        auto* in4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
        if (::inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1) {
            return bad("'" + host + "' is not a numeric IPv4 address");
        }
        in4->sin_family = AF_INET;
        in4->sin_port = htons(static_cast<uint16_t>(p));
        ep.len = sizeof(sockaddr_in);
        ep.loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
    }
    return ep;
}

std::string RenderMetrics(const MetricsSnapshot& snap) {
    std::string out;
    out.reserve(4096 + snap.exporters.size() * 2048);
    auto global = [&](const char* name, const char* type, const char* help, uint64_t value) {
        Family(&out, name, type, help);
        Sample(&out, name, std::string(), value);
    };
    global("flowcapd_datagrams_received_total", "counter",
           "UDP datagrams taken from the listening sockets (decoded or dropped).",
           snap.datagrams_received);
    global("flowcapd_received_bytes_total", "counter",
           "UDP payload bytes of the datagrams handed to the decoders.", snap.bytes_received);
    global("flowcapd_datagrams_dropped_total", "counter",
           "Datagrams dropped because the decoder was behind and its queue full.",
           snap.datagrams_dropped);
    global("flowcapd_unknown_source_datagrams_total", "counter",
           "Datagrams from senders that are no flow source (-n, -C, -M limit), dropped.",
           snap.unknown_source_datagrams);
    global("flowcapd_queue_batches", "gauge",
           "Batches of received datagrams waiting for the decoder.", snap.queue_batches);

    PerSource(&out, snap, "flowcapd_source_datagrams_total", "counter",
              "Datagrams handed to the decoder of the flow source.",
              [](const SourceSample& s) { return s.decoder.datagrams; });
    PerSource(&out, snap, "flowcapd_source_rejected_datagrams_total", "counter",
              "Datagrams dropped before an exporter could be tied to them.",
              [](const SourceSample& s) { return s.decoder.rejected; });
    PerSource(&out, snap, "flowcapd_source_decode_errors_total", "counter",
              "Decode errors of datagrams no exporter could be tied to.",
              [](const SourceSample& s) { return Sum(s.decoder.errors); });
    PerSource(&out, snap, "flowcapd_flows_not_stored_total", "counter",
              "Decoded flows in no file (a block cut off on a full disk, or no file and the "
              "memory bound reached).",
              [](const SourceSample& s) { return s.flows_not_stored; });
    PerSource(&out, snap, "flowcapd_files_written_total", "counter",
              "Flow files closed under their final name.",
              [](const SourceSample& s) { return s.files_written; });
    PerSource(&out, snap, "flowcapd_rotation_errors_total", "counter",
              "File rotations or closes that failed (see the log).",
              [](const SourceSample& s) { return s.rotation_errors; });
    PerSource(&out, snap, "flowcapd_held_records", "gauge",
              "Flow records held in memory while no file can be opened.",
              [](const SourceSample& s) { return s.held_records; });

    using C = flow::wire::ExporterCounters;
    PerExporter(&out, snap, "flowcapd_exporter_packets_total",
                "Export packets (datagrams) accepted from the exporter.",
                [](const C& c) { return c.packets; });
    PerExporter(&out, snap, "flowcapd_exporter_flows_total",
                "Flow records decoded from the exporter.", [](const C& c) { return c.flows; });
    PerExporter(&out, snap, "flowcapd_exporter_sequence_failures_total",
                "Export packets whose sequence number was not the expected one.",
                [](const C& c) { return c.sequence_failures; });
    PerExporter(&out, snap, "flowcapd_exporter_decode_errors_total",
                "Decode errors of the exporter's packets, all kinds.",
                [](const C& c) { return Sum(c.errors); });
    PerExporter(&out, snap, "flowcapd_exporter_no_template_sets_total",
                "Data sets that arrived before or without their template.",
                [](const C& c) { return c.no_template_sets; });
    PerExporter(&out, snap, "flowcapd_exporter_templates_learned_total",
                "Template records accepted, replacements included.",
                [](const C& c) { return c.templates_learned; });
    PerExporter(&out, snap, "flowcapd_exporter_option_records_total",
                "Option data records processed.", [](const C& c) { return c.option_records; });

    // Errors by kind, only the kinds that happened: the ids are the stable names the log
    // and SIGUSR1 use.
    const char* kByKind = "flowcapd_exporter_decode_errors_by_kind_total";
    Family(&out, kByKind, "counter", "Decode errors of the exporter's packets by kind.");
    for (const ExporterSample& e : snap.exporters) {
        for (size_t k = 0; k < flow::wire::kDecodeErrorCount; ++k) {
            if (e.info.counters.errors[k] == 0) continue;
            const auto kind = flow::wire::DecodeErrorName(static_cast<flow::wire::DecodeError>(k));
            Sample(&out, kByKind, ExporterLabels(snap, e) + ",error=\"" + std::string(kind) + "\"",
                   e.info.counters.errors[k]);
        }
    }

    if (!snap.repeater_failures.empty()) {
        const char* kRepeater = "flowcapd_repeater_send_failures_total";
        Family(&out, kRepeater, "counter", "Datagrams a -R repeater could not send.");
        for (const auto& [name, failures] : snap.repeater_failures) {
            Sample(&out, kRepeater, "repeater=\"" + Escape(name) + "\"", failures);
        }
    }
    return out;
}

flow::Result<std::unique_ptr<MetricsServer>> MetricsServer::Listen(
    const PrometheusEndpoint& endpoint) {
    const int fd = ::socket(endpoint.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return flow::Status::IoError("--prometheus " + endpoint.text +
                                     ": socket: " + std::strerror(errno));
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (endpoint.addr.ss_family == AF_INET6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&endpoint.addr), endpoint.len) != 0 ||
        ::listen(fd, 16) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return flow::Status::IoError("--prometheus " + endpoint.text + ": " + why);
    }
    return std::unique_ptr<MetricsServer>(new MetricsServer(fd));
}

MetricsServer::~MetricsServer() {
    stop_ = true;
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

void MetricsServer::Start() {
    thread_ = std::thread([this] { Serve(); });
}

void MetricsServer::Publish(MetricsSnapshot snapshot) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        latest_ = std::move(snapshot);
        ++generation_;
        wanted_.store(false, std::memory_order_relaxed);
    }
    cv_.notify_all();
}

bool MetricsServer::Fetch(MetricsSnapshot* out) {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t seen = generation_;
    wanted_.store(true, std::memory_order_relaxed);
    cv_.wait_for(lock, std::chrono::milliseconds(kSnapshotWaitMs),
                 [&] { return generation_ != seen || stop_; });
    if (generation_ == 0) return false;
    *out = latest_;
    return true;
}

// Answers one complete request head. Only the request line matters; headers are ignored.
std::string MetricsServer::Respond(const std::string& head) {
    const std::string line = head.substr(0, head.find_first_of("\r\n"));
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string::npos || line.find(' ', sp2 + 1) != std::string::npos ||
        line.compare(sp2 + 1, 7, "HTTP/1.") != 0) {
        return HttpResponse(400, "bad request line\n");
    }
    const std::string method = line.substr(0, sp1);
    std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    if (method != "GET" && method != "HEAD") return HttpResponse(405, "only GET and HEAD\n");
    if (target != "/metrics") return HttpResponse(404, "try /metrics\n");
    MetricsSnapshot snap;
    if (!Fetch(&snap)) return HttpResponse(503, "no counters from the decoder yet\n");
    return HttpResponse(200, RenderMetrics(snap), method == "HEAD");
}

struct MetricsServer::Client {
    int fd = -1;
    uint64_t deadline_ms = 0;
    std::string in;
    std::string out;  // the response once the request is complete
    size_t sent = 0;
    bool draining = false;  // response sent: reading what the client still sends, until EOF
};

void MetricsServer::Serve() {
    std::vector<Client> clients;
    std::vector<pollfd> pfds;
    char buf[2048];
    while (!stop_ && !g_stop) {
        pfds.clear();
        pfds.push_back({listen_fd_, POLLIN, 0});
        for (const Client& c : clients) {
            const bool reading = c.out.empty() || c.draining;
            pfds.push_back({c.fd, static_cast<short>(reading ? POLLIN : POLLOUT), 0});
        }
        if (::poll(pfds.data(), pfds.size(), 200) < 0 && errno != EINTR) {
            Log(LOG_ERR, std::string("--prometheus: poll: ") + std::strerror(errno));
            return;
        }
        const uint64_t now = MonotonicMs();
        for (size_t i = 0; i < clients.size(); ++i) {
            Client& c = clients[i];
            const short ev = pfds[i + 1].revents;
            bool done = (ev & (POLLERR | POLLNVAL)) != 0;
            if (!done && now >= c.deadline_ms) {
                // Too slow: one try to say so, never a wait.
                if (c.out.empty()) {
                    const std::string r = HttpResponse(408, "request not complete in time\n");
                    (void)!::send(c.fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                }
                done = true;
            }
            if (!done && c.draining && (ev & (POLLIN | POLLHUP)) != 0) {
                // Closing with unread bytes would reset the connection and could destroy
                // the answer before the client read it; so read them away first.
                const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
                done = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
            } else if (!done && c.out.empty() && (ev & (POLLIN | POLLHUP)) != 0) {
                const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
                if (n <= 0) {
                    done = n == 0 || (errno != EAGAIN && errno != EINTR);
                } else {
                    c.in.append(buf, static_cast<size_t>(n));
                    size_t end = c.in.find("\r\n\r\n");
                    if (end == std::string::npos) end = c.in.find("\n\n");
                    if (end != std::string::npos && end < kMaxRequestBytes) {
                        c.out = Respond(c.in.substr(0, end));
                    } else if (c.in.size() >= kMaxRequestBytes) {
                        c.out = HttpResponse(431, "request head over 4096 bytes\n");
                    }
                }
            } else if (!done && !c.out.empty() && (ev & POLLOUT) != 0) {
                const ssize_t n =
                    ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
                if (n > 0) c.sent += static_cast<size_t>(n);
                done = n < 0 && errno != EAGAIN && errno != EINTR;
                if (!done && c.sent == c.out.size()) {
                    ::shutdown(c.fd, SHUT_WR);
                    c.draining = true;
                    c.deadline_ms = std::min(c.deadline_ms, now + kDrainMs);
                }
            }
            if (done) {
                ::close(c.fd);
                clients.erase(clients.begin() + static_cast<long>(i));
                pfds.erase(pfds.begin() + static_cast<long>(i + 1));
                --i;
            }
        }
        if ((pfds[0].revents & POLLIN) == 0) continue;
        for (;;) {
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) break;
            if (clients.size() >= kMaxClients) {
                ::close(fd);  // the scrapes in progress go first
                continue;
            }
            clients.push_back({fd, MonotonicMs() + kTimeoutMs, {}, {}, 0});
        }
    }
    for (const Client& c : clients) ::close(c.fd);
}

}  // namespace flowcapd

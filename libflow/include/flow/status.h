// SPDX-License-Identifier: BSD-2-Clause
// Status and Result: how libflow reports failure without exceptions. A Status is a code
// plus a message; OK carries no allocation. Result<T> holds either a value or a Status.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace flow {

enum class StatusCode {
    kOk = 0,
    kTruncated,        // not enough bytes for what the header promised
    kMalformed,        // impossible content
    kUnsupported,      // valid but not handled (codec, version, record type)
    kInvalidArgument,  // caller's input (option, filter, path) is wrong
    kIoError,          // the operating system refused (open, read, write, rename)
    kNotFound,         // file, template or exporter does not exist
};

// A cheap-to-copy outcome. OK has an empty message; failures carry "context: detail".
class [[nodiscard]] Status {
public:
    Status() = default;

    static Status Ok() { return Status(); }
    static Status Truncated(std::string msg) { return {StatusCode::kTruncated, std::move(msg)}; }
    static Status Malformed(std::string msg) { return {StatusCode::kMalformed, std::move(msg)}; }
    static Status Unsupported(std::string msg) {
        return {StatusCode::kUnsupported, std::move(msg)};
    }
    static Status InvalidArgument(std::string msg) {
        return {StatusCode::kInvalidArgument, std::move(msg)};
    }
    static Status IoError(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
    static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }

    bool ok() const { return code_ == StatusCode::kOk; }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }

    // "Truncated: <message>" style text for logs and error lines.
    std::string ToString() const;

private:
    Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

    StatusCode code_ = StatusCode::kOk;
    std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Status status) : v_(std::move(status)) {}  // NOLINT

    bool ok() const { return std::holds_alternative<T>(v_); }
    const Status& status() const {
        static const Status kOk;
        return ok() ? kOk : std::get<Status>(v_);
    }
    T& value() & { return std::get<T>(v_); }
    const T& value() const& { return std::get<T>(v_); }
    T&& value() && { return std::get<T>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }

private:
    std::variant<T, Status> v_;
};

}  // namespace flow

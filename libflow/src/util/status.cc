// SPDX-License-Identifier: BSD-2-Clause
// Text forms of Status.
#include "flow/status.h"

namespace flow {

std::string Status::ToString() const {
    const char* name = "OK";
    switch (code_) {
        case StatusCode::kOk: return "OK";
        case StatusCode::kTruncated: name = "Truncated"; break;
        case StatusCode::kMalformed: name = "Malformed"; break;
        case StatusCode::kUnsupported: name = "Unsupported"; break;
        case StatusCode::kInvalidArgument: name = "Invalid argument"; break;
        case StatusCode::kIoError: name = "IO error"; break;
        case StatusCode::kNotFound: name = "Not found"; break;
    }
    return std::string(name) + ": " + message_;
}

}  // namespace flow

// SPDX-License-Identifier: BSD-2-Clause
// Lexer for the filter language: splits filter text into words, operators and punctuation,
// and tracks line and column for messages. It knows no keywords; the parser decides what a
// word means from its position, which is how `flags AS` and `as 65000` can share a word.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flow::filter::detail {

enum class Tok : uint8_t {
    kEnd,       // end of input
    kWord,      // run of [A-Za-z0-9_:.-]
    kString,    // '...' or "..." (text holds the contents without quotes)
    kLParen,    // (
    kRParen,    // )
    kLBracket,  // [
    kRBracket,  // ]
    kComma,     // ,
    kSlash,     // /
    kPercent,   // %
    kAndAnd,    // &&
    kOrOr,      // ||
    kBang,      // !
    kEq,        // = or ==
    kGt,        // >
    kLt,        // <
    kGe,        // >=
    kLe,        // <=
    kNe,        // != or <> (recognised only to reject it with a useful message)
    kBad,       // a character the language does not use
};

struct Token {
    Tok kind = Tok::kEnd;
    std::string text;  // the source text (string contents for kString)
    uint32_t line = 1;
    uint32_t column = 1;  // 1-based, in bytes
};

// Splits `text` into tokens; the last one is always kEnd. `#` starts a comment that runs to
// the end of the line. Never fails: unusable characters become kBad tokens (and an
// unterminated quote a kBad token holding the rest of the text) for the parser to report.
std::vector<Token> Tokenize(std::string_view text);

// How a token appears in messages: the source text, or "end of filter" for kEnd.
std::string Describe(const Token& token);

}  // namespace flow::filter::detail

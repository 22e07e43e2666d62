// SPDX-License-Identifier: BSD-2-Clause
// Tokenizer for filter text; see lexer.h.
#include "lexer.h"

namespace flow::filter::detail {
namespace {

bool IsWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':' || c == '.' || c == '-';
}

class Lexer {
public:
    explicit Lexer(std::string_view text) : text_(text) {}

    std::vector<Token> Run() {
        std::vector<Token> out;
        for (;;) {
            SkipSpaceAndComments();
            Token tok;
            tok.line = line_;
            tok.column = static_cast<uint32_t>(pos_ - line_start_ + 1);
            if (pos_ >= text_.size()) {
                out.push_back(std::move(tok));
                return out;
            }
            Scan(tok);
            out.push_back(std::move(tok));
        }
    }

private:
    void SkipSpaceAndComments() {
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '\n') {
                ++pos_;
                ++line_;
                line_start_ = pos_;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
                ++pos_;
            } else if (c == '#') {
                while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
            } else {
                return;
            }
        }
    }

    // Two-character operators are tried before their one-character prefixes. A lone '&' or '|'
    // becomes kBad so the parser can name the character; `!=` and `<>` are recognised only to
    // be rejected with advice, as the language has no not-equal comparator.
    void Scan(Token& tok) {
        char c = text_[pos_];
        char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
        if (IsWordChar(c)) {
            size_t start = pos_;
            while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
            Set(tok, Tok::kWord, start);
            return;
        }
        if (c == '\'' || c == '"') {
            ScanString(tok, c);
            return;
        }
        size_t start = pos_;
        Tok kind = Tok::kBad;
        size_t len = 1;
        switch (c) {
            case '(':
                kind = Tok::kLParen;
                break;
            case ')':
                kind = Tok::kRParen;
                break;
            case '[':
                kind = Tok::kLBracket;
                break;
            case ']':
                kind = Tok::kRBracket;
                break;
            case ',':
                kind = Tok::kComma;
                break;
            case '/':
                kind = Tok::kSlash;
                break;
            case '%':
                kind = Tok::kPercent;
                break;
            case '&':
                if (next == '&') kind = Tok::kAndAnd, len = 2;
                break;
            case '|':
                if (next == '|') kind = Tok::kOrOr, len = 2;
                break;
            case '!':
                kind = next == '=' ? Tok::kNe : Tok::kBang;
                len = next == '=' ? 2 : 1;
                break;
            case '=':
                kind = Tok::kEq;
                len = next == '=' ? 2 : 1;
                break;
            case '>':
                kind = next == '=' ? Tok::kGe : Tok::kGt;
                len = next == '=' ? 2 : 1;
                break;
            case '<':
                if (next == '>') {
                    kind = Tok::kNe, len = 2;
                } else {
                    kind = next == '=' ? Tok::kLe : Tok::kLt;
                    len = next == '=' ? 2 : 1;
                }
                break;
            default:
                break;
        }
        pos_ += len;
        Set(tok, kind, start);
    }

    void ScanString(Token& tok, char quote) {
        size_t start = pos_;
        size_t close = text_.find(quote, pos_ + 1);
        if (close == std::string_view::npos) {
            pos_ = text_.size();
            Set(tok, Tok::kBad, start);
            return;
        }
        tok.kind = Tok::kString;
        tok.text = std::string(text_.substr(start + 1, close - start - 1));
        // A quoted string may span lines; keep the line counter right for later tokens.
        for (size_t i = start; i < close; ++i) {
            if (text_[i] == '\n') {
                ++line_;
                line_start_ = i + 1;
            }
        }
        pos_ = close + 1;
    }

    void Set(Token& tok, Tok kind, size_t start) {
        tok.kind = kind;
        tok.text = std::string(text_.substr(start, pos_ - start));
    }

    std::string_view text_;
    size_t pos_ = 0;
    size_t line_start_ = 0;
    uint32_t line_ = 1;
};

}  // namespace

std::vector<Token> Tokenize(std::string_view text) { return Lexer(text).Run(); }

std::string Describe(const Token& token) {
    if (token.kind == Tok::kEnd) return "end of filter";
    if (token.kind == Tok::kString) return "'" + token.text + "' (quoted)";
    return "'" + token.text + "'";
}

}  // namespace flow::filter::detail

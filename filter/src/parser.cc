// SPDX-License-Identifier: BSD-2-Clause
// Expression grammar of the filter language (precedence: not > and > or, left to right),
// flow labels, token helpers and error messages. The primitives are in primitives.cc.
#include "parser.h"

#include <utility>

// The grammar, in the order the functions below implement it:
//
//   filter    := [ or_expr ] END
//   or_expr   := and_expr { ("or" | "||") and_expr }
//   and_expr  := unary { ("and" | "&&") unary }
//   unary     := ("not" | "!") unary | primary
//   primary   := "(" or_expr ")" [ "%" LABEL ] | "%" LABEL primary | primitive
//   primitive := [ qualifier ] keyword ...        (primitives.cc)
//
// nfdump's yacc grammar gives the same precedence with %left/%prec declarations; here it
// falls out of which function calls which.

namespace flow::filter::detail {

bool HasControl(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return true;
    }
    return false;
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// nfdump's scanner accepts the scale letter on any number, so `port 1k` is port 1000; the
// range checks of each primitive then apply to the scaled value.
bool ParseNumber(std::string_view word, uint64_t* out, std::string* why) {
    if (word.empty()) {
        *why = "empty number";
        return false;
    }
    uint64_t scale = 1;
    char last = word.back();
    switch (last) {
        case 'k':
        case 'K':
            scale = 1000ull;
            break;
        case 'm':
        case 'M':
            scale = 1000ull * 1000;
            break;
        case 'g':
        case 'G':
            scale = 1000ull * 1000 * 1000;
            break;
        case 't':
        case 'T':
            scale = 1000ull * 1000 * 1000 * 1000;
            break;
        default:
            break;
    }
    bool hex = word.size() > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X');
    if (hex) {
        // Hex numbers take no scale letter: "0x1b" must not lose its digits to one.
        uint64_t v = 0;
        for (char c : word.substr(2)) {
            int d = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
            if (d < 0) {
                *why = "not a number";
                return false;
            }
            if (v > (~uint64_t{0} >> 4)) {
                *why = "number too large";
                return false;
            }
            v = v << 4 | static_cast<uint64_t>(d);
        }
        *out = v;
        return true;
    }
    if (scale != 1) word.remove_suffix(1);
    size_t dot = word.find('.');
    std::string_view whole = word.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? "" : word.substr(dot + 1);
    if (frac.find('.') != std::string_view::npos) {
        *why = "not a number";  // an address, say, not a fraction
        return false;
    }
    if (whole.empty() || (dot != std::string_view::npos && (frac.empty() || scale == 1))) {
        *why = scale == 1 && dot != std::string_view::npos
                   ? "fractions need a scale letter (k, m, g, t)"
                   : "not a number";
        return false;
    }
    unsigned __int128 v = 0;
    for (char c : whole) {
        if (c < '0' || c > '9') {
            *why = "not a number";
            return false;
        }
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > ~uint64_t{0}) {
            *why = "number too large";
            return false;
        }
    }
    v *= scale;
    // The fraction is exact in integers: 5.9M = 5 * 10^6 + 9 * 10^6 / 10.
    unsigned __int128 divisor = 1;
    unsigned __int128 frac_value = 0;
    for (char c : frac) {
        if (c < '0' || c > '9' || divisor > ~uint64_t{0}) {
            *why = "not a number";
            return false;
        }
        frac_value = frac_value * 10 + static_cast<unsigned>(c - '0');
        divisor *= 10;
    }
    if (frac_value != 0) {
        unsigned __int128 scaled = frac_value * scale;
        if (scaled % divisor != 0) {
            *why = "not a whole number";
            return false;
        }
        v += scaled / divisor;
    }
    if (v > ~uint64_t{0}) {
        *why = "number too large";
        return false;
    }
    *out = static_cast<uint64_t>(v);
    return true;
}

Parser::Parser(std::vector<Token> tokens, const CompileOptions& options, Tables& tables)
    : tokens_(std::move(tokens)), options_(options), tables_(tables) {}

std::unique_ptr<Node> Parser::Parse() {
    if (Peek().kind == Tok::kEnd) return Node::Const(true);
    std::unique_ptr<Node> root = ParseOr(0);
    const Token& tok = Peek();
    if (tok.kind == Tok::kRParen)
        Fail(tok, "unbalanced ')': no '(' to close; expected 'and', 'or' or the end of the filter");
    if (tok.kind != Tok::kEnd) Unexpected(tok, "'and', 'or' or the end of the filter");
    return root;
}

namespace {

std::unique_ptr<Node> MakeNary(Node::Kind kind, std::vector<std::unique_ptr<Node>> kids) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    for (const auto& kid : kids) node->has_label = node->has_label || kid->has_label;
    node->kids = std::move(kids);
    return node;
}

}  // namespace

// Chains are collected into one n-ary node instead of a left-deep tree, so 100000 `or`s
// do not become 100000 levels of recursion later.
std::unique_ptr<Node> Parser::ParseOr(int depth) {
    std::vector<std::unique_ptr<Node>> kids;
    kids.push_back(ParseAnd(depth));
    while (PeekWord("or") || Peek().kind == Tok::kOrOr) {
        Next();
        kids.push_back(ParseAnd(depth));
    }
    if (kids.size() == 1) return std::move(kids[0]);
    return MakeNary(Node::Kind::kOr, std::move(kids));
}

std::unique_ptr<Node> Parser::ParseAnd(int depth) {
    std::vector<std::unique_ptr<Node>> kids;
    kids.push_back(ParseUnary(depth));
    while (PeekWord("and") || Peek().kind == Tok::kAndAnd) {
        Next();
        kids.push_back(ParseUnary(depth));
    }
    if (kids.size() == 1) return std::move(kids[0]);
    return MakeNary(Node::Kind::kAnd, std::move(kids));
}

std::unique_ptr<Node> Parser::ParseUnary(int depth) {
    if (PeekWord("not") || Peek().kind == Tok::kBang) {
        const Token& tok = Next();
        if (depth >= kMaxDepth) FailTooDeep(tok);
        return Node::Not(ParseUnary(depth + 1));
    }
    return ParsePrimary(depth);
}

std::string Parser::ParseLabelName() {
    const Token& tok = Peek();
    if (tok.kind != Tok::kWord && tok.kind != Tok::kString) {
        Unexpected(tok, "a flow label name after '%'");
    }
    if (tok.text.empty() || tok.text.size() > 16) {
        Fail(tok, "flow label '" + tok.text + "' too long; expected 1 to 16 characters");
    }
    if (HasControl(tok.text))
        Fail(tok, "flow label '" + tok.text + "' has control characters; expected printable text");
    return Next().text;
}

std::unique_ptr<Node> Parser::ParsePrimary(int depth) {
    const Token& tok = Peek();
    if (tok.kind == Tok::kLParen) {
        Next();
        if (depth >= kMaxDepth) FailTooDeep(tok);
        if (Peek().kind == Tok::kRParen) Unexpected(Peek(), "an expression inside '( )'");
        std::unique_ptr<Node> inner = ParseOr(depth + 1);
        if (Peek().kind != Tok::kRParen) {
            if (Peek().kind == Tok::kEnd) {
                Fail(tok, "unbalanced '(': expected a ')' before the end of the filter");
            }
            Unexpected(Peek(), "')', 'and' or 'or'");
        }
        Next();
        if (Peek().kind == Tok::kPercent) {
            Next();
            return AttachLabel(std::move(inner), ParseLabelName());
        }
        return inner;
    }
    if (tok.kind == Tok::kPercent) return ParseLabelled(depth);
    return ParsePrimitive();
}

// `%NAME (expr)`: the label comes first.
std::unique_ptr<Node> Parser::ParseLabelled(int depth) {
    Next();
    std::string name = ParseLabelName();
    if (Peek().kind != Tok::kLParen) Unexpected(Peek(), "'(' after the flow label");
    return AttachLabel(ParsePrimary(depth), name);
}

std::unique_ptr<Node> Parser::AttachLabel(std::unique_ptr<Node> node, const std::string& name) {
    if (node->label >= 0) {
        // Already labelled, as in `((x) %A) %B`: the outer label wraps the inner one.
        auto wrap = std::make_unique<Node>();
        wrap->kind = Node::Kind::kAnd;
        wrap->kids.push_back(std::move(node));
        node = std::move(wrap);
    }
    int32_t index = -1;
    for (size_t i = 0; i < tables_.labels.size(); ++i) {
        if (tables_.labels[i] == name) index = static_cast<int32_t>(i);
    }
    if (index < 0) {
        index = static_cast<int32_t>(tables_.labels.size());
        tables_.labels.push_back(name);
    }
    node->label = index;
    node->has_label = true;
    return node;
}

const Token& Parser::Peek(size_t ahead) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
}

const Token& Parser::Next() {
    const Token& tok = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return tok;
}

bool Parser::PeekWord(const char* lower, size_t ahead) const {
    const Token& tok = Peek(ahead);
    return tok.kind == Tok::kWord && Lower(tok.text) == lower;
}

bool Parser::AcceptWord(const char* lower) {
    if (!PeekWord(lower)) return false;
    Next();
    return true;
}

const Token& Parser::ExpectWord(const Token& after, const char* what) {
    const Token& tok = Peek();
    if (tok.kind != Tok::kWord) {
        Unexpected(tok, std::string(what) + " after '" + after.text + "'");
    }
    return Next();
}

void Parser::ExpectWordIs(const char* lower, const Token& after) {
    if (!AcceptWord(lower)) {
        Unexpected(Peek(), std::string("'") + lower + "' after '" + after.text + "'");
    }
}

void Parser::Expect(Tok kind, const char* what) {
    if (Peek().kind != kind) Unexpected(Peek(), what);
    Next();
}

// True where a primitive may end: tcpdump forms like a bare `ip` or `tcp` use it to decide
// whether more words belong to them.
bool Parser::AtExprEnd() const {
    const Token& tok = Peek();
    return tok.kind == Tok::kEnd || tok.kind == Tok::kRParen || tok.kind == Tok::kAndAnd ||
           tok.kind == Tok::kOrOr || PeekWord("and") || PeekWord("or");
}

bool Parser::AcceptCmp(Cmp* cmp) {
    const Token& tok = Peek();
    switch (tok.kind) {
        case Tok::kEq:
            *cmp = Cmp::kEq;
            break;
        case Tok::kGt:
            *cmp = Cmp::kGt;
            break;
        case Tok::kLt:
            *cmp = Cmp::kLt;
            break;
        case Tok::kGe:
            *cmp = Cmp::kGe;
            break;
        case Tok::kLe:
            *cmp = Cmp::kLe;
            break;
        case Tok::kNe:
            Fail(tok, "there is no not-equal comparator '" + tok.text +
                          "'; write 'not <primitive>' instead, e.g. 'not port 80'");
        case Tok::kWord: {
            std::string w = Lower(tok.text);
            if (w == "eq") {
                *cmp = Cmp::kEq;
            } else if (w == "gt") {
                *cmp = Cmp::kGt;
            } else if (w == "lt") {
                *cmp = Cmp::kLt;
            } else if (w == "ge") {
                *cmp = Cmp::kGe;
            } else if (w == "le") {
                *cmp = Cmp::kLe;
            } else if (w == "ne") {
                Fail(tok,
                     "there is no not-equal comparator 'ne'; write 'not <primitive>' "
                     "instead, e.g. 'not port 80'");
            } else {
                return false;
            }
            break;
        }
        default:
            return false;
    }
    Next();
    return true;
}

// Every numeric value goes through here, so the "out of range" wording is the same for all
// primitives and always names both the value and the allowed range.
uint64_t Parser::ParseValue(const Token& tok, uint64_t max, const char* what) {
    if (tok.kind != Tok::kWord) Unexpected(tok, std::string("a number for ") + what);
    uint64_t v = 0;
    std::string why;
    if (!ParseNumber(tok.text, &v, &why)) {
        Fail(tok, "invalid number '" + tok.text + "' for " + what + ": " + why +
                      " (expected e.g. 1500, 0x5dc or 1.5k)");
    }
    if (v > max) {
        // Show the value too when the text was scaled or hex: `port '80k'` is 80000.
        std::string value = std::to_string(v);
        std::string shown = tok.text == value ? "" : " (= " + value + ")";
        Fail(tok, std::string(what) + " '" + tok.text + "'" + shown +
                      " out of range; expected 0.." + std::to_string(max));
    }
    return v;
}

void Parser::Fail(const Token& at, const std::string& message) const {
    // A line an @include pulled in is named by its own file and line, as the user wrote it.
    std::string file = options_.source_name;
    uint32_t line = at.line;
    if (at.line >= 1 && at.line <= options_.line_sources.size()) {
        file = options_.line_sources[at.line - 1].file;
        line = options_.line_sources[at.line - 1].line;
    }
    std::string where;
    if (!file.empty()) where = "file '" + file + "' ";
    where += "line " + std::to_string(line) + ", column " + std::to_string(at.column) + ": ";
    // Messages are one line of readable text whatever the input held: control characters
    // (newlines inside quotes, raw bytes) are escaped and huge tokens are cut in the middle.
    std::string text;
    for (char c : message) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            static const char kHex[] = "0123456789abcdef";
            text +=
                c == '\n' ? std::string("\\n") : std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
        } else {
            text += c;
        }
    }
    constexpr size_t kMaxMessage = 600;
    if (text.size() > kMaxMessage) {
        text = text.substr(0, kMaxMessage / 2) + " ... " + text.substr(text.size() - 250);
    }
    throw CompileError{where + text};
}

void Parser::Unexpected(const Token& at, const std::string& expected) const {
    if (at.kind == Tok::kBad && at.text == "@") {
        Fail(at,
             "'@include' is expanded only in filter files; use it on a line of its own in a -f "
             "file");
    }
    if (at.kind == Tok::kBad) {
        if (!at.text.empty() && (at.text[0] == '\'' || at.text[0] == '"')) {
            Fail(at, "unterminated quoted string '" + at.text.substr(1) + "'; expected a closing " +
                         at.text[0]);
        }
        Fail(at, "unexpected character '" + at.text + "'; expected " + expected);
    }
    if (at.kind == Tok::kEnd) {
        // The end has no text to quote: name the last word instead.
        std::string after = pos_ > 0 ? " after '" + tokens_[pos_ - 1].text + "'" : "";
        Fail(at, "filter ends too early" + after + "; expected " + expected);
    }
    Fail(at, "unexpected " + Describe(at) + "; expected " + expected);
}

void Parser::FailTooDeep(const Token& at) const {
    Fail(at, "expression nested too deeply at '" + at.text + "'; expected at most " +
                 std::to_string(kMaxDepth) + " levels of '(' and 'not'");
}

void Parser::CheckListSize(const Token& at, const Token& kw, size_t entries) const {
    if (entries < kMaxListEntries) return;
    Fail(at, "list after '" + kw.text + "' too long at '" + at.text + "'; expected at most " +
                 std::to_string(kMaxListEntries) + " entries");
}

void Parser::BadDir(const Token& dir_tok, const Token& kw, const char* allowed) const {
    Fail(dir_tok, "qualifier '" + dir_tok.text + "' is not allowed with '" + kw.text +
                      "' (allowed: " + allowed + ")");
}

}  // namespace flow::filter::detail

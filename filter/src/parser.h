// SPDX-License-Identifier: BSD-2-Clause
// Recursive-descent parser for the filter language: nfdump 1.7's grammar plus the tcpdump
// forms operators type. It builds the syntax tree of ast.h and checks every value (ranges,
// addresses, names) on the way, so a tree that comes out is valid. Errors unwind by throwing
// CompileError, which only Filter::Compile() catches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "address.h"
#include "ast.h"
#include "flow/filter.h"
#include "lexer.h"

namespace flow::filter::detail {

// Thrown inside the compiler only; the message is complete ("line 1, column 7: ...").
struct CompileError {
    std::string message;
};

// Deepest allowed nesting of parentheses and `not`. Keeps recursion (parser, optimiser,
// code generator) far from the stack limit: 10000 '(' give an error, not a crash.
inline constexpr int kMaxDepth = 500;

// Most entries one list may hold: `[ ... ]` lists and comma lists without brackets. Far above
// what consoles generate (Pandora's top-N lists hold at most a few hundred values; one argv
// word is limited to 128 KiB anyway) and it keeps a runaway generated filter file from
// building a huge table before anything is matched.
inline constexpr size_t kMaxListEntries = 100000;

// Longest filter text Compile() accepts: 16 MiB, a hundred times a 100000-address list.
inline constexpr size_t kMaxFilterBytes = size_t{16} << 20;

// Direction qualifier in front of a primitive (nfdump's dqual).
enum class Dir : uint8_t {
    kNone,
    kSrc,
    kDst,
    kSrcOrDst,
    kSrcAndDst,
    kIn,
    kOut,
    kInSrc,
    kInDst,
    kOutSrc,
    kOutDst,
    kPrev,
    kNext,
};

class Parser {
public:
    Parser(std::vector<Token> tokens, const CompileOptions& options, Tables& tables);

    // Parses the whole text. Empty text gives a constant-true tree. Throws CompileError.
    std::unique_ptr<Node> Parse();

private:
    // Expression grammar (parser.cc).
    std::unique_ptr<Node> ParseOr(int depth);
    std::unique_ptr<Node> ParseAnd(int depth);
    std::unique_ptr<Node> ParseUnary(int depth);
    std::unique_ptr<Node> ParsePrimary(int depth);
    std::unique_ptr<Node> ParseLabelled(int depth);
    std::string ParseLabelName();
    std::unique_ptr<Node> AttachLabel(std::unique_ptr<Node> node, const std::string& name);

    // Primitives (primitives.cc).
    std::unique_ptr<Node> ParsePrimitive();
    std::unique_ptr<Node> ParsePrimitiveInner();
    std::unique_ptr<Node> ParseKeyword(Dir dir, const Token& dir_tok, const Token& kw);
    Dir ParseDir();
    std::unique_ptr<Node> ParseAddress(Dir dir, const Token& dir_tok, uint16_t src_off,
                                       uint16_t dst_off, const char* src_name, const char* dst_name,
                                       bool allow_names);
    std::unique_ptr<Node> ParseNet(Dir dir, const Token& dir_tok, uint16_t src_off,
                                   uint16_t dst_off, const char* src_name, const char* dst_name);
    IpNet ParseNetBits(const Token& value, const ParsedAddr& addr);
    static int CountGroups(const std::string& text);
    std::vector<ParsedAddr> Resolve(const Token& name);
    std::unique_ptr<Node> ParseSingleAddress(const Token& kw, uint16_t off, const char* name);
    std::unique_ptr<Node> ParsePort(Dir dir, const Token& dir_tok, FieldRef src, FieldRef dst);
    std::unique_ptr<Node> ParsePortRange(Dir dir, const Token& dir_tok, const Token& value,
                                         FieldRef src, FieldRef dst);
    std::unique_ptr<Node> ParseListTail(Dir dir, const Token& dir_tok, const Token& kw,
                                        FieldRef src, FieldRef dst, uint64_t max);
    std::unique_ptr<Node> MakeList(Dir dir, const Token& dir_tok, const Token& kw, FieldRef src,
                                   FieldRef dst, std::vector<uint64_t> list);
    std::unique_ptr<Node> ParseNumeric(Dir dir, const Token& dir_tok, const Token& kw, FieldRef src,
                                       FieldRef dst, uint64_t max, bool allow_list);
    std::unique_ptr<Node> ParseProto(const Token& kw, FieldRef field);
    std::unique_ptr<Node> ParseBareProto(const Token& kw, uint8_t proto);
    std::unique_ptr<Node> ParseIcmp(const Token& kw, bool type);
    std::unique_ptr<Node> ParseFlags(const Token& kw);
    std::unique_ptr<Node> ParseMac(Dir dir, const Token& dir_tok, const Token& kw);
    std::unique_ptr<Node> ParseMpls(const Token& kw);
    std::unique_ptr<Node> ParseIdent(const Token& kw);
    std::unique_ptr<Node> ParseComputed(const Token& kw, TestKind kind);
    std::unique_ptr<Node> ParseSeen(const Token& kw, bool first);
    std::unique_ptr<Node> ParseFwdStat(const Token& kw);
    std::unique_ptr<Node> ParseFlowDir(const Token& kw);
    std::unique_ptr<Node> ParseAsaEvent(const Token& kw);
    std::unique_ptr<Node> ParseNatEvent(const Token& kw);
    std::unique_ptr<Node> ParseAcl(const Token& kw, bool ingress);
    std::unique_ptr<Node> ParsePblock(const Token& kw);
    std::vector<IpNet> ParseIpList(const Token& kw, bool allow_names);
    void ParseAddressEntry(const Token& value, bool allow_names, std::vector<IpNet>* out);
    IpNet ParseNetEntry(const Token& value);
    std::vector<uint64_t> ParseNumberList(const Token& kw, uint64_t max);

    // Builds src / dst / either / both trees from a per-side builder.
    template <typename F>
    std::unique_ptr<Node> BySide(Dir dir, const Token& dir_tok, const Token& kw, F make);

    // Token helpers (parser.cc).
    const Token& Peek(size_t ahead = 0) const;
    const Token& Next();
    bool PeekWord(const char* lower, size_t ahead = 0) const;
    bool AcceptWord(const char* lower);
    const Token& ExpectWord(const Token& after, const char* what);
    void ExpectWordIs(const char* lower, const Token& after);
    void Expect(Tok kind, const char* what);
    bool AtExprEnd() const;
    bool AcceptCmp(Cmp* cmp);
    uint64_t ParseValue(const Token& tok, uint64_t max, const char* what);
    [[noreturn]] void Fail(const Token& at, const std::string& message) const;
    [[noreturn]] void Unexpected(const Token& at, const std::string& expected) const;
    [[noreturn]] void BadDir(const Token& dir_tok, const Token& kw, const char* allowed) const;
    [[noreturn]] void FailTooDeep(const Token& at) const;
    // Fails at `at` when a list after `kw` already holds kMaxListEntries entries.
    void CheckListSize(const Token& at, const Token& kw, size_t entries) const;

    std::vector<Token> tokens_;
    size_t pos_ = 0;
    const CompileOptions& options_;
    Tables& tables_;
    // The last primitive's qualifier and keyword, for tcpdump's `port 80 or 443`.
    Token cur_kw_;             // keyword of the primitive being parsed, for messages
    int primitive_depth_ = 0;  // primitives being parsed inside one another
    bool have_last_ = false;
    Dir last_dir_ = Dir::kNone;
    Token last_dir_tok_;
    Token last_kw_;
};

// True if `s` holds ASCII control characters (newline, tab, NUL...).
bool HasControl(std::string_view s);

// Lower-cases ASCII letters.
std::string Lower(std::string_view s);

// Number syntax of the language: decimal, 0x hex, optional scale letter k/m/g/t (x1000 each),
// and a decimal fraction when a scale letter follows and the result is whole ("5.9M").
// Returns false with `why` set when `word` is not such a number or overflows 64 bits.
bool ParseNumber(std::string_view word, uint64_t* out, std::string* why);

// IP protocol number for an nfdump protocol name (case-insensitive), or -1.
int ProtoNumber(std::string_view name);

}  // namespace flow::filter::detail

// SPDX-License-Identifier: BSD-2-Clause
// flow::filter::Filter: the public face of the filter compiler. Compile() runs the stages
// (lexer, parser with checks, optimiser, code generator) and is the one place that catches
// the compiler's internal CompileError.
#include "flow/filter.h"

#include <string>
#include <utility>

#include "ast.h"
#include "lexer.h"
#include "parser.h"
#include "program.h"

namespace flow::filter {

namespace {

std::shared_ptr<const detail::Program> MatchAllProgram() {
    static const std::shared_ptr<const detail::Program> kProgram =
        std::make_shared<detail::Program>();
    return kProgram;
}

}  // namespace

Filter::Filter() : program_(MatchAllProgram()) {}

Filter::Filter(std::shared_ptr<const detail::Program> program) : program_(std::move(program)) {}

Result<Filter> Filter::Compile(std::string_view text) { return Compile(text, CompileOptions{}); }

Result<Filter> Filter::Compile(std::string_view text, const CompileOptions& options) {
    if (text.size() > detail::kMaxFilterBytes) {
        // Compiling costs about 45 bytes of memory per byte of text (12 MB of `host a or
        // ...` took 550 MB), so a runaway generated filter file is refused up front.
        std::string where =
            options.source_name.empty() ? "" : "file '" + options.source_name + "' ";
        return Status::InvalidArgument(where + "line 1, column 1: filter text of " +
                                       std::to_string(text.size()) +
                                       " bytes is too long; expected at most " +
                                       std::to_string(detail::kMaxFilterBytes) + " bytes");
    }
    try {
        detail::Tables tables;
        detail::Parser parser(detail::Tokenize(text), options, tables);
        std::unique_ptr<detail::Node> root = parser.Parse();
        detail::Optimize(root, tables);
        std::shared_ptr<const detail::Program> program =
            detail::Generate(*root, std::move(tables), std::string(text),
                             options.fast_evaluator);
        Filter filter(std::move(program));
        filter.SetIdent(options.ident);
        return filter;
    } catch (const detail::CompileError& e) {
        return Status::InvalidArgument(e.message);
    }
}

Status Filter::Check(std::string_view text, const CompileOptions& options) {
    Result<Filter> r = Compile(text, options);
    return r.ok() ? Status::Ok() : r.status();
}

// The fast forms run inline here: most filters take them.
bool Filter::Match(const FlowRecord& rec) const {
    const detail::Program& p = *program_;
    if (p.fast_form == detail::FastForm::kOneTest) return detail::PassesTest(p.fast[0], rec);
    if (p.fast_form == detail::FastForm::kChain) return detail::RunChain(p, rec);
    if (p.fast_form == detail::FastForm::kJumps) return detail::RunFast(p, rec);
    return detail::Run(p, rec, 0, ident_results_.data());
}

// The fast forms use no `count` and set no label.
bool Filter::Match(const FlowRecord& rec, const MatchContext& ctx) const {
    const detail::Program& p = *program_;
    if (p.fast_form == detail::FastForm::kOneTest) return detail::PassesTest(p.fast[0], rec);
    if (p.fast_form == detail::FastForm::kChain) return detail::RunChain(p, rec);
    if (p.fast_form == detail::FastForm::kJumps) return detail::RunFast(p, rec);
    return detail::Run(p, rec, ctx.count, ident_results_.data());
}

bool Filter::Match(const FlowRecord& rec, const MatchContext& ctx, std::string_view* label) const {
    if (program_->fast_form != detail::FastForm::kNone) {
        if (label != nullptr) *label = std::string_view();
        return Match(rec, ctx);
    }
    int32_t index = -1;
    bool matched = detail::Run(*program_, rec, ctx.count, ident_results_.data(),
                               label != nullptr ? &index : nullptr);
    if (label != nullptr) {
        *label = index >= 0 ? std::string_view(program_->labels[static_cast<size_t>(index)])
                            : std::string_view();
    }
    return matched;
}

void Filter::SetIdent(std::string_view ident) {
    const auto& idents = program_->idents;
    ident_results_.assign(idents.size(), 0);
    for (size_t i = 0; i < idents.size(); ++i) ident_results_[i] = idents[i] == ident ? 1 : 0;
}

bool Filter::matches_all() const { return program_->start == detail::kAccept; }

bool Filter::uses_count() const { return program_->uses_count; }

bool Filter::uses_ident() const { return program_->uses_ident; }

bool Filter::has_labels() const { return program_->has_labels; }

bool Filter::fast_evaluator() const { return program_->fast_form != detail::FastForm::kNone; }

const char* Filter::evaluator_name() const {
    switch (program_->fast_form) {
        case detail::FastForm::kOneTest:
            return "one-test";
        case detail::FastForm::kJumps:
            return "jumps";
        case detail::FastForm::kChain:
            return "chain";
        case detail::FastForm::kNone:
            break;
    }
    return "general";
}

uint64_t Filter::elements_read() const { return program_->elements; }

std::string Filter::Dump() const { return detail::DumpProgram(*program_); }

const std::string& Filter::text() const { return program_->text; }

}  // namespace flow::filter

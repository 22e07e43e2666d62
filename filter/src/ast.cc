// SPDX-License-Identifier: BSD-2-Clause
// Syntax tree helpers and the tree optimiser: constant folding, flattening, list merging and
// cheap-first ordering. Everything here keeps the filter's result for every record the same.
#include "ast.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <utility>

namespace flow::filter::detail {

std::unique_ptr<Node> Node::Leaf(const Test& test) {
    auto node = std::make_unique<Node>();
    node->kind = Kind::kTest;
    node->test = test;
    return node;
}

std::unique_ptr<Node> Node::Const(bool value) {
    Test test;
    test.kind = TestKind::kConst;
    test.value = value ? 1 : 0;
    return Leaf(test);
}

std::unique_ptr<Node> Node::Not(std::unique_ptr<Node> kid) {
    auto node = std::make_unique<Node>();
    node->kind = Kind::kNot;
    node->has_label = kid->has_label;
    node->kids.push_back(std::move(kid));
    return node;
}

std::unique_ptr<Node> Node::Join(Kind kind, std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->has_label = a->has_label || b->has_label;
    node->kids.push_back(std::move(a));
    node->kids.push_back(std::move(b));
    return node;
}

namespace {

bool IsConst(const Node& n, bool* value) {
    if (n.kind != Node::Kind::kTest || n.test.kind != TestKind::kConst) return false;
    *value = n.test.value != 0;
    return true;
}

// The key under which `or`-ed equality tests can be merged into one list test: same field
// (or the same address field with a full-length mask).
struct MergeKey {
    int kind = 0;  // 1 = scalar field, 2 = address
    FieldRef field;
    uint16_t addr_offset = 0;
};

bool Mergeable(const Node& n, MergeKey* key) {
    if (n.kind != Node::Kind::kTest || n.label >= 0) return false;
    const Test& t = n.test;
    if (t.kind == TestKind::kField && t.cmp == Cmp::kEq) {
        key->kind = 1;
        key->field = t.field;
        return true;
    }
    if (t.kind == TestKind::kIp || t.kind == TestKind::kIpList) {
        key->kind = 2;
        key->addr_offset = t.addr_offset;
        return true;
    }
    if (t.kind == TestKind::kFieldList) {
        key->kind = 1;
        key->field = t.field;
        return true;
    }
    return false;
}

bool SameKey(const MergeKey& a, const MergeKey& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == 1) return a.field.SameAs(b.field);
    return a.addr_offset == b.addr_offset;
}

uint8_t MaskBits(const IpAddr& mask) {
    return static_cast<uint8_t>(__builtin_popcountll(mask.hi) + __builtin_popcountll(mask.lo));
}

// Merges runs of `or`-ed equality tests on one field into one list test. Lists are what
// nfdump recommends for long address sets; doing it here gives chains the same speed.
void MergeOrLists(Node& node, Tables& tables) {
    constexpr size_t kMinMerge = 3;
    std::vector<std::unique_ptr<Node>> out;
    std::vector<bool> used(node.kids.size(), false);
    for (size_t i = 0; i < node.kids.size(); ++i) {
        if (used[i]) continue;
        MergeKey key;
        if (!Mergeable(*node.kids[i], &key)) {
            out.push_back(std::move(node.kids[i]));
            continue;
        }
        std::vector<size_t> group{i};
        for (size_t j = i + 1; j < node.kids.size(); ++j) {
            MergeKey other;
            if (!used[j] && Mergeable(*node.kids[j], &other) && SameKey(key, other)) {
                group.push_back(j);
            }
        }
        if (group.size() < kMinMerge) {
            out.push_back(std::move(node.kids[i]));
            continue;
        }
        Test merged;
        if (key.kind == 1) {
            std::vector<uint64_t> values;
            for (size_t j : group) {
                const Test& t = node.kids[j]->test;
                if (t.kind == TestKind::kField) {
                    values.push_back(t.value);
                } else {
                    const auto& l = tables.u64_lists[t.list];
                    values.insert(values.end(), l.begin(), l.end());
                }
                used[j] = true;
            }
            std::sort(values.begin(), values.end());
            values.erase(std::unique(values.begin(), values.end()), values.end());
            merged.kind = TestKind::kFieldList;
            merged.field = key.field;
            merged.list = static_cast<uint32_t>(tables.u64_lists.size());
            tables.u64_lists.push_back(std::move(values));
        } else {
            std::vector<IpNet> nets;
            for (size_t j : group) {
                const Test& t = node.kids[j]->test;
                if (t.kind == TestKind::kIp) {
                    nets.push_back(IpNet{t.addr, t.mask, MaskBits(t.mask), t.addr_v6});
                } else {
                    const auto& l = tables.ip_lists[t.list];
                    nets.insert(nets.end(), l.begin(), l.end());
                }
                merged.addr_name = t.addr_name;
                used[j] = true;
            }
            merged.kind = TestKind::kIpList;
            merged.addr_offset = key.addr_offset;
            merged.list = static_cast<uint32_t>(tables.ip_lists.size());
            tables.ip_lists.push_back(std::move(nets));
        }
        out.push_back(Node::Leaf(merged));
    }
    node.kids = std::move(out);
}

}  // namespace

// Relative cost of one evaluation: a byte compare is 1, a 128-bit compare 2, a division 4,
// a stack walk 5, a binary search 6. Only the order matters.
int Cost(const Node& node) {
    if (node.kind != Node::Kind::kTest) {
        int sum = 0;
        for (const auto& kid : node.kids) sum += Cost(*kid);
        return sum;
    }
    switch (node.test.kind) {
        case TestKind::kConst:
            return 0;
        case TestKind::kField:
        case TestKind::kFlagsAll:
        case TestKind::kIsV6:
        case TestKind::kCount:
        case TestKind::kIdent:
            return 1;
        case TestKind::kIp:
        case TestKind::kDuration:
        case TestKind::kPortInBlock:
            return 2;
        case TestKind::kPps:
        case TestKind::kBps:
        case TestKind::kBpp:
            return 4;
        case TestKind::kMplsEos:
        case TestKind::kMplsAny:
            return 5;
        case TestKind::kIpList:
        case TestKind::kFieldList:
            return 6;
    }
    return 1;
}

void Optimize(std::unique_ptr<Node>& node, Tables& tables) {
    Node& n = *node;
    for (auto& kid : n.kids) Optimize(kid, tables);

    // Labels pin the shape: which labelled branch decides depends on evaluation order, so
    // labelled subtrees are left exactly as written.
    if (n.kind == Node::Kind::kNot && n.label < 0) {
        Node& kid = *n.kids[0];
        bool value = false;
        if (IsConst(kid, &value)) {
            node = Node::Const(!value);
            return;
        }
        if (kid.kind == Node::Kind::kNot && kid.label < 0) {
            // not not x == x; the flags parity rule depends only on parity, so this is safe.
            std::unique_ptr<Node> inner = std::move(kid.kids[0]);
            node = std::move(inner);
        }
        return;
    }
    if (n.kind != Node::Kind::kAnd && n.kind != Node::Kind::kOr) return;
    if (n.has_label) return;

    // Everything below is a pure reordering or rewriting of side-effect-free tests, so the
    // set of matching records cannot change.
    const bool is_and = n.kind == Node::Kind::kAnd;
    std::vector<std::unique_ptr<Node>> flat;
    for (auto& kid : n.kids) {
        if (kid->kind == n.kind) {
            for (auto& grandkid : kid->kids) flat.push_back(std::move(grandkid));
        } else {
            flat.push_back(std::move(kid));
        }
    }
    std::vector<std::unique_ptr<Node>> kept;
    for (auto& kid : flat) {
        bool value = false;
        if (IsConst(*kid, &value)) {
            // and: false decides, true drops out; or: the reverse.
            if (value != is_and) {
                node = Node::Const(value);
                return;
            }
            continue;
        }
        kept.push_back(std::move(kid));
    }
    if (kept.empty()) {
        node = Node::Const(is_and);
        return;
    }
    n.kids = std::move(kept);
    if (!is_and) MergeOrLists(n, tables);
    if (n.kids.size() == 1) {
        std::unique_ptr<Node> only = std::move(n.kids[0]);
        node = std::move(only);
        return;
    }
    std::stable_sort(n.kids.begin(), n.kids.end(),
                     [](const auto& a, const auto& b) { return Cost(*a) < Cost(*b); });
}

std::string FormatIp(const IpAddr& addr, bool v4) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (v4) {
        uint32_t v = htonl(addr.v4());
        inet_ntop(AF_INET, &v, buf, sizeof(buf));
    } else {
        uint8_t bytes[16];
        addr.ToBytes(bytes);
        inet_ntop(AF_INET6, bytes, buf, sizeof(buf));
    }
    return buf;
}

namespace {

const char* CmpText(Cmp cmp) {
    switch (cmp) {
        case Cmp::kEq:
            return "==";
        case Cmp::kGt:
            return ">";
        case Cmp::kLt:
            return "<";
        case Cmp::kGe:
            return ">=";
        case Cmp::kLe:
            return "<=";
    }
    return "?";
}

std::string FormatNet(const IpAddr& addr, const IpAddr& mask, bool v6) {
    bool v4 = !v6;
    int bits = MaskBits(mask);
    std::string text = FormatIp(addr, v4);
    int prefix = v4 ? bits - 96 : bits;
    if ((v4 && prefix == 32) || (!v4 && prefix == 128)) return text;
    return text + "/" + std::to_string(prefix);
}

std::string U64(uint64_t v) { return std::to_string(v); }

}  // namespace

std::string DescribeTest(const Test& t, const Tables& tables) {
    std::string field = t.field.name;
    switch (t.kind) {
        case TestKind::kConst:
            return t.value ? "true" : "false";
        case TestKind::kField:
            return field + " " + CmpText(t.cmp) + " " + U64(t.value);
        case TestKind::kFlagsAll: {
            char buf[64];
            std::snprintf(buf, sizeof(buf), "%s has all of 0x%02" PRIx64, t.field.name, t.value);
            return buf;
        }
        case TestKind::kIp:
            return std::string(t.addr_name) + " in " + FormatNet(t.addr, t.mask, t.addr_v6);
        case TestKind::kIpList: {
            const auto& list = tables.ip_lists[t.list];
            std::string text = std::string(t.addr_name) + " in [";
            for (size_t i = 0; i < list.size(); ++i) {
                if (i == 8) {
                    text += " ... " + std::to_string(list.size()) + " entries";
                    break;
                }
                text += (i ? " " : "") + FormatNet(list[i].addr, list[i].mask, list[i].v6);
            }
            return text + "]";
        }
        case TestKind::kFieldList: {
            const auto& list = tables.u64_lists[t.list];
            std::string text = field + " in [";
            for (size_t i = 0; i < list.size(); ++i) {
                if (i == 16) {
                    text += " ... " + std::to_string(list.size()) + " entries";
                    break;
                }
                text += (i ? " " : "") + U64(list[i]);
            }
            return text + "]";
        }
        case TestKind::kDuration:
            return std::string("duration_ms ") + CmpText(t.cmp) + " " + U64(t.value);
        case TestKind::kPps:
            return std::string("pps ") + CmpText(t.cmp) + " " + U64(t.value);
        case TestKind::kBps:
            return std::string("bps ") + CmpText(t.cmp) + " " + U64(t.value);
        case TestKind::kBpp:
            return std::string("bpp ") + CmpText(t.cmp) + " " + U64(t.value);
        case TestKind::kMplsEos:
            return std::string("mpls_eos_label ") + CmpText(t.cmp) + " " + U64(t.value);
        case TestKind::kMplsAny:
            return "mpls_any_label == " + U64(t.value);
        case TestKind::kPortInBlock:
            return field + " in [block_start, block_end]";
        case TestKind::kIsV6:
            return "is_ipv6";
        case TestKind::kCount:
            return std::string("count ") + CmpText(t.cmp) + " " + U64(t.value);
        case TestKind::kIdent:
            return "ident == '" + tables.idents[t.list] + "'";
    }
    return "?";
}

}  // namespace flow::filter::detail

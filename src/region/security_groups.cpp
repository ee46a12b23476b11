#include "region/security_groups.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace mc::region::sg {
namespace {

// ---- reading the file ----

std::string_view kind_name(const toml::node& node) {
  if (node.is_string()) return "a string";
  if (node.is_integer()) return "an integer";
  if (node.is_floating_point()) return "a number with a fraction";
  if (node.is_boolean()) return "a boolean";
  if (node.is_array()) return "a list";
  if (node.is_table()) return "a table";
  return "a date or time";
}

// Where a node was written, for the error: "FILE:LINE".
std::string at(std::string_view source, const toml::source_region& region) {
  return fmt::format("{}:{}", source, region.begin.line);
}

// Group names start with "sg-" (like AWS's group ids, and so that the set named after a group is never one
// of nft's keywords) and hold letters, digits, '-' and '_'.
bool good_name(std::string_view name) {
  if (!name.starts_with("sg-") || name.size() == 3) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_';
  });
}

std::string set_name(std::string_view group) {
  std::string out(group);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string rule_comment(std::string_view group, const Rule& r) {
  return r.why.empty() ? fmt::format("{} from {}", group, r.from) : fmt::format("{} from {}: {}", group, r.from, r.why);
}

// One rule of a group's ingress; `rule_at` is "FILE:LINE: [sg-x] ingress N", for its errors.
Expected<Rule, std::string> read_rule(const std::string& rule_at, std::string_view group, const toml::table& fields,
                                      const std::vector<std::string>& names) {
  Rule rule;
  bool has_from = false;
  bool has_ports = false;
  for (const auto& [field, value] : fields) {
    if (field == "from") {
      const auto from = value.value<std::string>();
      if (!from) {
        return Unexpected(
            fmt::format("{}: from is {}; name a group (\"sg-x\") or \"{}\"", rule_at, kind_name(value), kAnywhere));
      }
      rule.from = *from;
      has_from = true;
    } else if (field == "ports") {
      const auto* ports = value.as_array();
      if (ports == nullptr || ports->empty()) {
        return Unexpected(fmt::format("{}: ports is {}; list at least one TCP port: ports = [8081]", rule_at,
                                      ports == nullptr ? kind_name(value) : "an empty list"));
      }
      for (const auto& p : *ports) {
        const auto* port = p.as_integer();
        if (port == nullptr) {
          return Unexpected(
              fmt::format("{}: a port is {}; write ports as integers from 1 to 65535", rule_at, kind_name(p)));
        }
        if (port->get() < 1 || port->get() > 65535) {
          return Unexpected(fmt::format("{}: port {} is outside 1..65535", rule_at, port->get()));
        }
        rule.ports.push_back(static_cast<std::uint16_t>(port->get()));
      }
      has_ports = true;
    } else if (field == "why") {
      const auto why = value.value<std::string>();
      if (!why) return Unexpected(fmt::format("{}: why is {}; write it as a string", rule_at, kind_name(value)));
      rule.why = *why;
    } else {
      return Unexpected(fmt::format("{}: unknown key \"{}\"; a rule has from, ports and why", rule_at, field.str()));
    }
  }
  if (has_from && rule.from != kAnywhere && std::find(names.begin(), names.end(), rule.from) == names.end()) {
    return Unexpected(fmt::format("{}: from \"{}\" is no group of this file; name one of {} or \"{}\"", rule_at,
                                  rule.from, fmt::join(names, ", "), kAnywhere));
  }
  if (!has_from || !has_ports) {
    return Unexpected(fmt::format("{}: a rule needs {}: {{ from = \"sg-x\", ports = [N], why = \"...\" }}", rule_at,
                                  has_from ? "ports" : "from"));
  }
  // The reason becomes the nftables comment: nft cannot quote a '"', and refuses long ones.
  if (std::any_of(rule.why.begin(), rule.why.end(),
                  [](char ch) { return ch == '"' || std::iscntrl(static_cast<unsigned char>(ch)) != 0; })) {
    return Unexpected(fmt::format(
        "{}: why holds a double quote or a control character, which an nftables comment cannot; reword it", rule_at));
  }
  if (const auto comment = rule_comment(group, rule); comment.size() > kMaxCommentBytes) {
    return Unexpected(fmt::format("{}: the rule's comment \"{}\" is {} bytes, nftables takes {}; shorten why", rule_at,
                                  comment, comment.size(), kMaxCommentBytes));
  }
  return rule;
}

// One group's table. `names` are all the file's groups: a rule may name one defined further down.
Expected<Group, std::string> read_group(std::string_view source, std::string name, const toml::table& table,
                                        const std::vector<std::string>& names) {
  Group group;
  group.name = std::move(name);
  const std::string where = fmt::format("{}: [{}]", at(source, table.source()), group.name);
  bool has_members = false;
  for (const auto& [key, node] : table) {
    const std::string here = fmt::format("{}: [{}]", at(source, node.source()), group.name);
    if (key == "description") {
      const auto text = node.value<std::string>();
      if (!text) return Unexpected(fmt::format("{} description is {}; write it as a string", here, kind_name(node)));
      group.description = *text;
    } else if (key == "members") {
      const auto* list = node.as_array();
      if (list == nullptr) {
        return Unexpected(
            fmt::format("{} members is {}; write a list of roles: members = [\"app\"]", here, kind_name(node)));
      }
      for (const auto& item : *list) {
        const auto role = item.value<std::string>();
        if (!role || role->empty()) {
          return Unexpected(fmt::format("{}: [{}] members holds {}; each member is a role's name, e.g. \"app\"",
                                        at(source, item.source()), group.name,
                                        role ? "an empty string" : kind_name(item)));
        }
        group.members.push_back(*role);
      }
      has_members = true;
    } else if (key == "ingress") {
      const auto* list = node.as_array();
      if (list == nullptr) {
        return Unexpected(fmt::format(
            "{} ingress is {}; write a list of rules: ingress = [{{ from = \"sg-x\", ports = [N], why = \"...\" }}]",
            here, kind_name(node)));
      }
      int n = 0;
      for (const auto& item : *list) {
        ++n;
        const std::string rule_at = fmt::format("{}: [{}] ingress {}", at(source, item.source()), group.name, n);
        const auto* fields = item.as_table();
        if (fields == nullptr) {
          return Unexpected(
              fmt::format("{} is {}; a rule is a table: {{ from = \"sg-x\", ports = [N], why = \"...\" }}", rule_at,
                          kind_name(item)));
        }
        auto rule = read_rule(rule_at, group.name, *fields, names);
        if (!rule) return Unexpected(rule.error());
        group.ingress.push_back(std::move(rule).value());
      }
    } else {
      return Unexpected(
          fmt::format("{} unknown key \"{}\"; a group has description, members and ingress", here, key.str()));
    }
  }
  if (!has_members || group.members.empty()) {
    return Unexpected(
        fmt::format("{} has no members; add the roles whose hosts belong to it: members = [\"app\"]", where));
  }
  return group;
}

// The addresses of the hosts whose role is a member of `group`, once each, in the order of `hosts`.
std::vector<std::string> addresses_of(const Group& group, const std::vector<Host>& hosts) {
  std::vector<std::string> out;
  for (const auto& h : hosts) {
    if (h.address.empty()) continue;
    if (std::find(group.members.begin(), group.members.end(), h.role) == group.members.end()) continue;
    if (std::find(out.begin(), out.end(), h.address) == out.end()) out.push_back(h.address);
  }
  return out;
}

// The groups whose members `host`'s rules admit, in file order: the sets of its table.
std::vector<const Group*> sets_of(const Groups& g, const Host& host) {
  std::set<std::string_view> referenced;
  for (const Group* mine : g.groups_of(host.role)) {
    for (const auto& r : mine->ingress) {
      if (r.from != kAnywhere) referenced.insert(r.from);
    }
  }
  std::vector<const Group*> out;
  for (const auto& group : g.groups) {
    if (referenced.contains(group.name)) out.push_back(&group);
  }
  return out;
}

std::string port_list(std::vector<std::uint16_t> ports, std::string_view sep) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return fmt::format("{}", fmt::join(ports, sep));
}

std::string pad(std::string_view s, std::size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

void trim_right(std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
}

}  // namespace

const Group* Groups::find(std::string_view name) const {
  for (const auto& group : groups) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

std::vector<const Group*> Groups::groups_of(std::string_view role) const {
  std::vector<const Group*> out;
  for (const auto& group : groups) {
    if (std::find(group.members.begin(), group.members.end(), role) != group.members.end()) out.push_back(&group);
  }
  return out;
}

Expected<Groups, std::string> parse(std::string_view toml_text, std::string_view source) {
  toml::table file;
  try {
    file = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    return Unexpected(fmt::format("{}: {}", at(source, e.source()), e.description()));
  }
  // toml++ keeps a table's keys sorted; the file's order is the order of their lines.
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : file) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& x = a.first->source().begin;
    const auto& y = b.first->source().begin;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });

  std::vector<std::string> names;
  names.reserve(entries.size());
  for (const auto& [key, node] : entries) {
    if (node->is_table()) names.emplace_back(key->str());
  }
  Groups groups;
  std::map<std::string, std::string> set_names;  // set name -> group, to catch sg-a next to sg_a
  for (const auto& [key, node] : entries) {
    const std::string name(key->str());
    const auto* table = node->as_table();
    if (table == nullptr) {
      return Unexpected(fmt::format("{}: \"{}\" is {}, not a group; the file holds only [sg-NAME] tables",
                                    at(source, key->source()), name, kind_name(*node)));
    }
    if (!good_name(name)) {
      return Unexpected(fmt::format(
          "{}: [{}] is not a group name; a group's name starts with \"sg-\" and holds letters, digits, '-' and '_'",
          at(source, key->source()), name));
    }
    if (const auto [it, fresh] = set_names.emplace(set_name(name), name); !fresh) {
      return Unexpected(fmt::format("{}: [{}] and [{}] would share the nftables set {}; rename one",
                                    at(source, key->source()), it->second, name, it->first));
    }
    auto group = read_group(source, name, *table, names);
    if (!group) return Unexpected(group.error());
    groups.groups.push_back(std::move(group).value());
  }
  if (groups.groups.empty()) {
    return Unexpected(fmt::format("{}: no security groups; define at least one [sg-NAME] table with members", source));
  }

  return groups;
}

Expected<Groups, std::string> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected(fmt::format("{}: cannot read the security groups", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

bool allows(const Groups& g, const Host& from, const Host& to, std::uint16_t port) {
  for (const Group* group : g.groups_of(to.role)) {
    for (const auto& r : group->ingress) {
      if (std::find(r.ports.begin(), r.ports.end(), port) == r.ports.end()) continue;
      if (r.from == kAnywhere) return true;
      const Group* source = g.find(r.from);
      if (source != nullptr &&
          std::find(source->members.begin(), source->members.end(), from.role) != source->members.end()) {
        return true;
      }
    }
  }
  return false;
}

std::vector<std::uint16_t> ports_of(const Groups& g, const Host& to) {
  std::vector<std::uint16_t> out;
  for (const Group* group : g.groups_of(to.role)) {
    for (const auto& r : group->ingress) out.insert(out.end(), r.ports.begin(), r.ports.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string render_ruleset(const Groups& g, const Host& host, const std::vector<Host>& hosts) {
  const auto mine = g.groups_of(host.role);
  std::vector<std::string_view> names;
  names.reserve(mine.size());
  for (const Group* group : mine) names.push_back(group->name);
  // The empty declaration creates the table when there is none, so that the delete always has one to delete:
  // the three statements replace the old table in one transaction (nft -f applies a file all or nothing).
  std::string out = fmt::format(
      "# The security groups of {host} (role {role}): {groups}. Generated by the region; edits are overwritten.\n"
      "table inet {table}\n"
      "delete table inet {table}\n"
      "table inet {table} {{\n",
      fmt::arg("host", host.name), fmt::arg("role", host.role),
      fmt::arg("groups", names.empty() ? std::string("none, so nothing may connect in")
                                       : fmt::format("{}", fmt::join(names, ", "))),
      fmt::arg("table", kTable));
  for (const Group* group : sets_of(g, host)) {
    out += fmt::format("  set {} {{\n    type ipv4_addr\n", set_name(group->name));
    if (const auto addresses = addresses_of(*group, hosts); !addresses.empty()) {
      out += fmt::format("    elements = {{ {} }}\n", fmt::join(addresses, ", "));
    }
    out += "  }\n\n";
  }
  out +=
      "  chain input {\n"
      "    type filter hook input priority 0; policy drop;\n"
      "    ct state established,related accept\n"
      "    ct state invalid drop\n"
      "    iif \"lo\" accept\n";
  for (const Group* group : mine) {
    for (const auto& r : group->ingress) {
      const std::string saddr = r.from == kAnywhere ? std::string() : fmt::format("ip saddr @{} ", set_name(r.from));
      out += fmt::format("    {}tcp dport {{ {} }} accept comment \"{}\"\n", saddr, port_list(r.ports, ", "),
                         rule_comment(group->name, r));
    }
  }
  out += "  }\n}\n";
  return out;
}

std::string render_set_update(const Groups& g, const Host& host, const std::vector<Host>& hosts) {
  std::string out;
  for (const Group* group : sets_of(g, host)) {
    const auto name = set_name(group->name);
    out += fmt::format("flush set inet {} {}\n", kTable, name);
    if (const auto addresses = addresses_of(*group, hosts); !addresses.empty()) {
      out += fmt::format("add element inet {} {} {{ {} }}\n", kTable, name, fmt::join(addresses, ", "));
    }
  }
  return out;
}

std::string render_text(const Groups& g, const std::vector<Host>& hosts) {
  std::size_t name_w = 0;
  std::size_t ports_w = 0;
  std::size_t from_w = 0;
  for (const auto& group : g.groups) {
    name_w = std::max(name_w, group.name.size());
    for (const auto& r : group.ingress) {
      ports_w = std::max(ports_w, 4 + port_list(r.ports, ",").size());
      from_w = std::max(from_w, r.from.size());
    }
  }
  name_w = std::max<std::size_t>(name_w, 10) + 2;
  std::string out;
  for (const auto& group : g.groups) {
    out += pad(group.name, name_w) + group.description;
    trim_right(out);
    out += '\n';
    bool first = true;
    for (const auto& role : group.members) {
      std::vector<std::string> members;
      for (const auto& h : hosts) {
        if (h.role == role) members.push_back(h.address.empty() ? h.name + " (no address)" : h.name + " " + h.address);
      }
      out += pad(first ? "  members" : "", name_w) + pad(role, 10) +
             (members.empty() ? std::string("(no hosts)") : fmt::format("{}", fmt::join(members, ", "))) + '\n';
      first = false;
    }
    first = true;
    for (const auto& r : group.ingress) {
      std::string line = pad(first ? "  ingress" : "", name_w) + pad("tcp " + port_list(r.ports, ","), ports_w + 2) +
                         "from " + pad(r.from, from_w + 2) + r.why;
      trim_right(line);
      out += line + '\n';
      first = false;
    }
    if (group.ingress.empty()) out += pad("  ingress", name_w) + "none: nothing may connect in\n";
  }
  out +=
      "\nEverything else is dropped. Replies to an allowed connection pass (connection tracking), and every host\n"
      "may connect out (egress is open).\n";
  return out;
}

std::vector<Probe> plan_probes(const Groups& g, const std::vector<Host>& sources,
                               const std::vector<Host>& destinations) {
  std::vector<Probe> out;
  for (const auto& from : sources) {
    for (const auto& to : destinations) {
      if (from.name == to.name) continue;
      for (const auto port : ports_of(g, to)) {
        Probe p;
        p.from = from.name;
        p.to = to.name;
        p.port = port;
        p.expected = allows(g, from, to, port);
        out.push_back(std::move(p));
      }
    }
  }
  return out;
}

namespace {

inline constexpr std::size_t kMatrixWidth = 160;
inline constexpr std::size_t kMaxHeader = 7;  // a column's name line, so that a column is at most 8 wide
inline constexpr std::size_t kMaxLabel = 12;

// "replica-1" -> "repl~-1": the head and the tail, which tells replicas and zones apart.
std::string abbreviate(const std::string& name, std::size_t width) {
  if (name.size() <= width) return name;
  const std::size_t tail = 2;
  return name.substr(0, width - tail - 1) + "~" + name.substr(name.size() - tail);
}

struct Column {
  std::string to;
  std::uint16_t port = 0;
  std::string header;  // the destination, abbreviated
  std::size_t width = 0;
};

std::string cell(bool open) { return open ? "open" : "-"; }

std::string observed_cell(const Probe& p) {
  if (!p.observed) return "?";
  return cell(*p.observed) + (*p.observed == p.expected ? "" : "!");
}

}  // namespace

std::string render_matrix(const std::vector<Probe>& probes) {
  // Columns in the destinations' order. A source is not probed against itself, so the first source's
  // destinations lack it: a column first seen later goes right after the column before it in that source's
  // probes (or first), which puts it back where the destinations list had it.
  std::vector<Column> columns;
  std::vector<std::string> rows;
  std::map<std::pair<std::string, std::string>, const Probe*> cells;  // (source, "to:port") -> the probe
  std::string previous_row;
  std::size_t insert_at = 0;
  for (const auto& p : probes) {
    if (p.from != previous_row) {
      previous_row = p.from;
      insert_at = 0;
      if (std::find(rows.begin(), rows.end(), p.from) == rows.end()) rows.push_back(p.from);
    }
    auto it =
        std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.to == p.to && c.port == p.port; });
    if (it == columns.end()) {
      Column c{p.to, p.port, abbreviate(p.to, kMaxHeader), 0};
      c.width = std::max({c.header.size(), std::to_string(p.port).size(), std::size_t{5}}) + 1;
      it = columns.insert(columns.begin() + static_cast<std::ptrdiff_t>(insert_at), std::move(c));
    }
    insert_at = static_cast<std::size_t>(it - columns.begin()) + 1;
    cells[{p.from, fmt::format("{}:{}", p.to, p.port)}] = &p;
  }

  // One width for every column, so that the matrix reads as a grid.
  std::size_t column_w = 0;
  for (const auto& c : columns) column_w = std::max(column_w, c.width);
  for (auto& c : columns) c.width = column_w;

  std::size_t label_w = 8;
  for (const auto& r : rows) label_w = std::max(label_w, std::min(r.size(), kMaxLabel));
  label_w += 2;
  const std::string separator = "| ";

  std::string out;
  // Bands of columns, each as wide as 160 columns allow for both matrices (at least one column a band).
  for (std::size_t first = 0; first < columns.size();) {
    std::size_t last = first;
    std::size_t width = label_w + separator.size();
    while (last < columns.size() && (last == first || width + 2 * columns[last].width <= kMatrixWidth)) {
      width += 2 * columns[last].width;
      ++last;
    }
    std::size_t block_w = 0;
    for (std::size_t c = first; c < last; ++c) block_w += columns[c].width;
    if (first > 0) out += '\n';
    std::string line = pad("", label_w) + pad("expected", block_w) + separator + "observed";
    out += line + '\n';
    std::string names = pad("", label_w);
    std::string ports = pad("", label_w);
    for (int block = 0; block < 2; ++block) {
      if (block == 1) {
        names += separator;
        ports += separator;
      }
      for (std::size_t c = first; c < last; ++c) {
        names += pad(columns[c].header, columns[c].width);
        ports += pad(std::to_string(columns[c].port), columns[c].width);
      }
    }
    trim_right(names);
    trim_right(ports);
    out += fmt::format("{}\n{}\n", names, ports);
    for (const auto& r : rows) {
      line = pad(abbreviate(r, kMaxLabel), label_w);
      for (int block = 0; block < 2; ++block) {
        if (block == 1) line += separator;
        for (std::size_t c = first; c < last; ++c) {
          const auto found = cells.find({r, fmt::format("{}:{}", columns[c].to, columns[c].port)});
          std::string text;  // blank: not planned (a host and itself)
          if (found != cells.end()) text = block == 0 ? cell(found->second->expected) : observed_cell(*found->second);
          line += pad(text, columns[c].width);
        }
      }
      trim_right(line);
      out += line + '\n';
    }
    first = last;
  }

  std::vector<std::string> abbreviated;
  for (const auto& c : columns) {
    const auto entry = c.header + " = " + c.to;
    if (c.header != c.to && std::find(abbreviated.begin(), abbreviated.end(), entry) == abbreviated.end()) {
      abbreviated.push_back(entry);
    }
  }
  if (!abbreviated.empty()) out += fmt::format("({})\n", fmt::join(abbreviated, ", "));

  std::size_t differ = 0;
  std::size_t unprobed = 0;
  for (const auto& p : probes) {
    const std::string detail = p.detail.empty() ? "" : fmt::format(" ({})", p.detail);
    const char* expected = p.expected ? "open" : "refused";
    if (!p.observed) {
      ++unprobed;
      out += fmt::format("NOT PROBED: {} -> {}:{} expected {}{}\n", p.from, p.to, p.port, expected, detail);
    } else if (*p.observed != p.expected) {
      ++differ;
      out += fmt::format("DIFFERENT: {} -> {}:{} expected {}, observed {}{}\n", p.from, p.to, p.port, expected,
                         *p.observed ? "open" : "refused", detail);
    }
  }
  if (differ == 0 && unprobed == 0) {
    out += fmt::format("sg-check: {} paths probed, all as declared\n", probes.size());
  } else {
    out += fmt::format("sg-check: {} of {} paths differ{}\n", differ, probes.size(),
                       unprobed == 0 ? std::string() : fmt::format(", {} not probed", unprobed));
  }
  return out;
}

bool all_as_expected(const std::vector<Probe>& probes) {
  return std::all_of(probes.begin(), probes.end(),
                     [](const Probe& p) { return p.observed.has_value() && *p.observed == p.expected; });
}

}  // namespace mc::region::sg

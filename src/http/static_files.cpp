#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "http/detail/text.hpp"
#include "http/server.hpp"

namespace mc::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCacheControl = "public, max-age=31536000, immutable";
// Bigger files are not what this handler is for (and would sit in memory for the process's lifetime).
constexpr std::uintmax_t kMaxFileBytes = 8 * 1024 * 1024;

struct File {
  std::string body;
  std::string etag;
  std::string_view content_type;
};

std::string_view content_type_for(std::string_view name) {
  const auto dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "json") return "application/json";
  return "application/octet-stream";
}

// Relative, no empty/"."/".." segments, nothing hidden, no NUL or backslash: a name that cannot leave root.
bool safe_relative_path(std::string_view p) {
  if (p.empty() || p.front() == '/') return false;
  if (p.find('\0') != std::string_view::npos || p.find('\\') != std::string_view::npos) return false;
  while (true) {
    const auto slash = p.find('/');
    const std::string_view segment = p.substr(0, slash);
    if (segment.empty() || segment.front() == '.') return false;  // also "." and ".."
    if (slash == std::string_view::npos) return true;
    p.remove_prefix(slash + 1);
  }
}

std::string strong_etag(std::string_view content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(content.data(), content.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned int i = 0; i < 16 && i < length; ++i) {
    tag += kHex[digest[i] >> 4];
    tag += kHex[digest[i] & 0xf];
  }
  tag += '"';
  return tag;
}

// If-None-Match: "*" or a list of entity tags; the weak comparison applies (RFC 9110 §13.1.2).
bool none_match(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = detail::trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

class StaticFiles {
 public:
  explicit StaticFiles(std::string root) {
    std::error_code ec;
    root_ = fs::weakly_canonical(fs::absolute(root, ec), ec);
    if (ec) root_ = fs::path(root);
  }

  Response serve(const Request& req) {
    if (req.path_params.empty()) return not_found();
    const std::string& relative = req.path_params.back();
    if (!safe_relative_path(relative)) return not_found();
    std::shared_ptr<const File> file = lookup(relative);
    if (!file) return not_found();

    const std::string_view if_none_match = req.header("If-None-Match");
    Response r;
    r.headers.reserve(12);
    if (!if_none_match.empty() && none_match(if_none_match, file->etag)) {
      r.status = 304;
    } else {
      r.status = 200;
      r.headers.push_back({"Content-Type", std::string(file->content_type)});
      r.body = file->body;
    }
    r.headers.push_back({"ETag", file->etag});
    r.headers.push_back({"Cache-Control", std::string(kCacheControl)});
    return r;
  }

 private:
  static Response not_found() { return Response::text(404, "Not found\n"); }

  std::shared_ptr<const File> lookup(const std::string& relative) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = cache_.find(relative); it != cache_.end()) return it->second;
    }
    // Files are immutable while the process runs, so a racing second load stores the same content. Misses
    // are not cached: the set of names a client can ask for is unbounded.
    auto file = load(relative);
    if (!file) return nullptr;
    std::lock_guard lock(mutex_);
    return cache_.emplace(relative, std::move(file)).first->second;
  }

  std::shared_ptr<const File> load(const std::string& relative) const {
    std::error_code ec;
    const fs::path full = fs::weakly_canonical(root_ / relative, ec);
    if (ec) return nullptr;
    // A symlink inside root must not lead outside it.
    const auto [root_end, _] = std::mismatch(root_.begin(), root_.end(), full.begin(), full.end());
    if (root_end != root_.end()) return nullptr;
    if (!fs::is_regular_file(full, ec) || ec) return nullptr;
    const auto size = fs::file_size(full, ec);
    if (ec || size > kMaxFileBytes) return nullptr;
    std::ifstream in(full, std::ios::binary);
    if (!in) return nullptr;
    auto file = std::make_shared<File>();
    file->body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return nullptr;
    file->etag = strong_etag(file->body);
    file->content_type = content_type_for(relative);
    return file;
  }

  fs::path root_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const File>> cache_;
};

Task<Response> serve(std::shared_ptr<StaticFiles> files, Request& req) { co_return files->serve(req); }

}  // namespace

Handler static_files(std::string root) {
  auto files = std::make_shared<StaticFiles>(std::move(root));
  // The first request for a file reads it with blocking I/O on the I/O thread: a handful of small files,
  // once per process. The coroutine takes its own reference, so it does not depend on this lambda's lifetime.
  return [files = std::move(files)](Request& req) { return serve(files, req); };
}

}  // namespace mc::http

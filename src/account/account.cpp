#include "account/account.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <stdexcept>

#include "core/text.hpp"

namespace mc::account {
namespace {

namespace net = boost::asio;

constexpr std::size_t kMaxEmail = 254;
constexpr std::size_t kMinPassword = 8;
constexpr std::size_t kMaxPassword = 128;
constexpr std::size_t kMaxName = 100;

net::thread_pool& hashing_pool() {
  static net::thread_pool pool(2);
  return pool;
}

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not initialise");
  });
}

bool plausible_email(std::string_view e) {
  if (e.empty() || e.size() > kMaxEmail) return false;
  const auto at = e.find('@');
  if (at == 0 || at == std::string_view::npos || e.find('@', at + 1) != std::string_view::npos) return false;
  const auto domain = e.substr(at + 1);
  const auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) return false;
  for (unsigned char c : e) {
    if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',') return false;
  }
  return true;
}

// The passwords people pick most (the top of the public breach lists, as NIST SP 800-63B asks a verifier to
// refuse), and the store's own name. Only those of at least kMinPassword characters matter: shorter ones are
// refused anyway. Compared without regard to ASCII case.
constexpr std::string_view kCommonPasswords[] = {
    "00000000",    "11111111",   "11223344",     "12121212",   "12341234",  "12344321",   "123123123",  "12345678",
    "123456789",   "1234567890", "123456789a",   "1234qwer",   "1q2w3e4r",  "1q2w3e4r5t", "1qaz2wsx",   "1qazxsw2",
    "22222222",    "55555555",   "66666666",     "77777777",   "87654321",  "88888888",   "987654321",  "99999999",
    "a1234567",    "a12345678",  "aa123456",     "abc12345",   "abcd1234",  "abcdefgh",   "asdfasdf",   "asdfghjk",
    "asdfghjkl",   "baseball",   "baseball1",    "basketball", "butterfly", "charlie1",   "computer",   "corvette",
    "dragon123",   "football",   "football1",    "iloveyou",   "iloveyou1", "iloveyou2",  "jennifer",   "jordan23",
    "letmein1",    "letmein123", "liverpool",    "master123",  "michelle",  "midnight",   "monkey123",  "mustang1",
    "myclothes",   "myclothes1", "myclothes123", "passw0rd",   "password",  "password!",  "password1",  "password12",
    "password123", "p@ssw0rd",   "p@ssword",     "princess",   "princess1", "q1w2e3r4",   "q1w2e3r4t5", "qazwsxedc",
    "qwer1234",    "qwerty12",   "qwerty123",    "qwerty1234", "qwertyui",  "qwertyuiop", "samsung1",   "shopping",
    "starwars",    "sunshine",   "sunshine1",    "superman",   "trustno1",  "welcome1",   "welcome123", "whatever",
    "zaq12wsx",    "zxcvbnm1",   "zxcvbnml",
};

bool common_password(std::string_view password) {
  std::string lower(password);
  for (auto& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  for (const auto common : kCommonPasswords) {
    if (lower == common) return true;
  }
  return false;
}

Error invalid(std::string field, std::string message) {
  return Error{Error::Code::kInvalidInput, std::move(message), std::move(field)};
}

}  // namespace

std::string normalize_email(std::string_view email) {
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  return std::string(email);
}

std::optional<Error> validate(const Registration& r) {
  if (!plausible_email(r.email)) return invalid("email", "email must look like name@example.com");
  // Characters, not bytes: "비밀번호입니다요" is eight characters (24 bytes) and long enough.
  const auto chars = utf8_length(r.password);
  if (chars < kMinPassword || chars > kMaxPassword) {
    return invalid("password", fmt::format("password must be {} to {} characters", kMinPassword, kMaxPassword));
  }
  if (common_password(r.password)) {
    return invalid("password", "this password is one of the most common ones and easy to guess; choose another");
  }
  const auto name = utf8_length(r.name);
  if (name == 0 || name > kMaxName || r.name.find_first_not_of(" \t") == std::string::npos) {
    return invalid("name", fmt::format("name must be 1 to {} characters", kMaxName));
  }
  return std::nullopt;
}

Task<std::string> hash_password(std::string password) {
  ensure_sodium();
  auto work = [password = std::move(password)]() -> Task<std::string> {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
      throw std::runtime_error("argon2id: out of memory");
    }
    co_return std::string(out);
  };
  co_return co_await net::co_spawn(hashing_pool().get_executor(), std::move(work), net::use_awaitable);
}

Task<bool> verify_password(std::string encoded, std::string password) {
  ensure_sodium();
  auto work = [encoded = std::move(encoded), password = std::move(password)]() -> Task<bool> {
    co_return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
  };
  co_return co_await net::co_spawn(hashing_pool().get_executor(), std::move(work), net::use_awaitable);
}

AccountService::AccountService(std::unique_ptr<AccountRepository> repository, std::unique_ptr<LoginLimiter> limiter)
    : repository_(std::move(repository)), limiter_(std::move(limiter)) {}

Task<Expected<User, Error>> AccountService::register_user(Registration r) {
  r.email = normalize_email(r.email);
  if (auto bad = validate(r)) co_return Unexpected(std::move(*bad));
  std::string hash = co_await hash_password(r.password);
  auto id = co_await repository_->insert_user(r.email, r.name, std::move(hash));
  if (!id) co_return Unexpected(Error{Error::Code::kEmailTaken, "an account with this email already exists", "email"});
  co_return User{*id, std::move(r.email), std::move(r.name)};
}

Task<Expected<User, Error>> AccountService::authenticate(std::string email, std::string password, std::string client) {
  email = normalize_email(email);
  const Error wrong{Error::Code::kInvalidCredentials, "the email or the password is not right", ""};
  const Error slow_down{Error::Code::kTooManyAttempts, "too many login attempts; wait a few minutes and try again", ""};
  std::string account = email;
  for (auto& c : account) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (co_await limiter_->client_over_limit(client)) co_return Unexpected(slow_down);
  if (co_await limiter_->locked_for(account, client)) co_return Unexpected(slow_down);
  if (email.size() > kMaxEmail || utf8_length(password) > kMaxPassword) co_return Unexpected(wrong);

  auto found = co_await repository_->credentials(email);
  // Unknown emails cost a hash check too, so the answer's timing does not tell whether an account exists.
  // The decoy is argon2id (interactive limits, as for real accounts) of 32 random bytes nobody kept.
  static constexpr std::string_view kDecoy =
      "$argon2id$v=19$m=65536,t=2,p=1$eXRIclVR6WoOkow4rSewHg$1Kln7Y7Lxwp54xfJ0NB3krxsxrwzQaQQBkQ2tab/BWM";
  std::string encoded(found ? std::string_view(found->password_hash) : kDecoy);
  const bool ok = co_await verify_password(std::move(encoded), std::move(password));
  if (!ok || !found) {
    co_await limiter_->failed(std::move(account), std::move(client));
    co_return Unexpected(wrong);
  }
  co_await limiter_->succeeded(std::move(account), std::move(client));
  co_return std::move(found->user);
}

Task<std::optional<User>> AccountService::find(std::int64_t id) { return repository_->user(id); }

}  // namespace mc::account

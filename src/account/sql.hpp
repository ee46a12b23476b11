#pragma once

#include "db/database.hpp"

// Every SQL statement of accounts, named and parameterised. All run on the primary: a shopper who just
// registered must be able to log in at once, on any instance.
namespace mc::account::sql {

// $1 email, $2 name, $3 password hash. No row when the email is taken (in any capitalisation: email_key).
inline constexpr db::Statement kInsertUser{"account_insert_user", R"(
INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
ON CONFLICT (email_key) DO NOTHING
RETURNING id)"};

// $1 email, matched ignoring case.
inline constexpr db::Statement kUserByEmail{"account_user_by_email", R"(
SELECT id, email, name, password_hash FROM users WHERE email_key = lower($1))"};

inline constexpr db::Statement kUserById{"account_user_by_id", R"(
SELECT id, email, name FROM users WHERE id = $1::bigint)"};

}  // namespace mc::account::sql

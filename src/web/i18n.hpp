#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The storefront's words in Korean and English. Pages put every string into the template context as `t`
// ({{t.search_placeholder}}), so templates never carry text of their own.
namespace mc::web {

enum class Lang { kKo, kEn };

// "ko", "KO", "ko-KR" → kKo; anything else (including "") → kEn.
Lang parse_lang(std::string_view text);
// Exactly "ko" or "en" (case-insensitive); nullopt for anything else, e.g. to validate ?lang=.
std::optional<Lang> find_lang(std::string_view text);
std::string_view code(Lang lang);  // "ko" | "en"

// The text of `key` in `lang`; the key itself when there is no such string (a visible, harmless miss).
std::string_view tr(Lang lang, std::string_view key);
// Every key, in a stable order, so a handler can copy them all into `t`.
const std::vector<std::string_view>& string_keys();

// "ko" when the highest-weighted acceptable language of an Accept-Language header is Korean, else "en".
// Ties keep the header's order; q=0 means "not acceptable"; a malformed entry is skipped.
std::string lang_from_accept_language(std::string_view header);

}  // namespace mc::web

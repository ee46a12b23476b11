#include "web/i18n.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <unordered_map>

namespace mc::web {
namespace {

struct Entry {
  std::string_view key;
  std::string_view ko;
  std::string_view en;
};

// Placeholders: {n} (a formatted count, see tr_n) and {q} (the search text).
constexpr std::array kStrings = std::to_array<Entry>({
    {"site_name", "MyClothes", "MyClothes"},
    {"tagline", "매일 입는 옷을 더 좋게", "Everyday clothes, made better"},
    {"skip_to_content", "본문 바로가기", "Skip to content"},
    {"search_placeholder", "상품을 검색해 보세요 (예: 항공 점퍼)", "Search products (e.g. flight jacket)"},
    {"search_button", "검색", "Search"},
    {"search_results", "검색 결과", "Search results"},
    {"categories", "카테고리", "Categories"},
    {"shop_by_category", "카테고리별 쇼핑", "Shop by category"},
    {"featured", "추천 상품", "Featured"},
    {"new_arrivals", "신상품", "New arrivals"},
    {"view_all", "전체 보기", "View all"},
    {"home", "홈", "Home"},
    {"cart", "장바구니", "Cart"},
    {"account", "마이페이지", "My account"},
    {"login", "로그인", "Log in"},
    {"filter", "필터", "Filters"},
    {"size", "사이즈", "Size"},
    {"color", "색상", "Colour"},
    {"price", "가격", "Price"},
    {"min_price", "최소 가격", "Min price"},
    {"max_price", "최대 가격", "Max price"},
    {"apply", "적용", "Apply"},
    {"reset", "초기화", "Reset"},
    {"sort", "정렬", "Sort by"},
    {"sort_relevance", "관련도순", "Relevance"},
    {"sort_new", "신상품순", "Newest"},
    {"sort_price_asc", "낮은 가격순", "Price: low to high"},
    {"sort_price_desc", "높은 가격순", "Price: high to low"},
    {"sort_name", "이름순", "Name"},
    {"prev", "이전", "Previous"},
    {"next", "다음", "Next"},
    {"page", "페이지", "Page"},
    {"pagination", "페이지 이동", "Pages"},
    {"breadcrumb", "현재 위치", "Breadcrumb"},
    {"items_count", "{n}개 상품", "{n} items"},
    {"no_results_title", "검색 결과가 없습니다", "No results found"},
    {"no_results_help", "맞춤법을 확인하거나, 더 짧고 일반적인 단어로 다시 검색해 보세요.",
     "Check the spelling, or try fewer or more general words."},
    {"try_these", "이런 검색어나 카테고리는 어떠세요?", "Try a popular search or browse a category"},
    {"results_for", "‘{q}’ 검색 결과", "Results for “{q}”"},
    {"no_products", "조건에 맞는 상품이 없습니다", "No products match these filters"},
    {"no_products_help", "필터를 줄이거나 초기화해 보세요.", "Remove a filter or reset them all."},
    {"sold_out", "품절", "Sold out"},
    {"left_n", "{n}개 남음", "{n} left"},
    {"in_stock", "재고 있음", "In stock"},
    {"add_to_cart", "장바구니 담기", "Add to cart"},
    {"added_to_cart", "장바구니에 담았습니다.", "Added to your cart."},
    {"add_failed", "담지 못했습니다. 사이즈를 선택했는지 확인해 주세요.", "Could not add it. Did you choose a size?"},
    {"cart_title", "장바구니", "Your cart"},
    {"cart_empty", "장바구니가 비어 있습니다", "Your cart is empty"},
    {"cart_empty_help", "마음에 드는 상품을 찾아 담아 보세요.", "Find something you like and add it here."},
    {"continue_shopping", "쇼핑 계속하기", "Continue shopping"},
    {"quantity", "수량", "Quantity"},
    {"update", "변경", "Update"},
    {"remove", "삭제", "Remove"},
    {"unit_price", "단가", "Price"},
    {"line_total", "합계", "Total"},
    {"order_total", "총 결제 금액", "Order total"},
    {"items_in_cart", "{n}개 상품", "{n} items"},
    {"line_unavailable", "재고가 부족합니다. 수량을 줄이거나 삭제해 주세요.",
     "Not enough in stock any more: lower the quantity or remove it."},
    {"error_unknown_sku", "이 상품은 더 이상 판매하지 않습니다.", "This item is no longer sold."},
    {"error_insufficient_stock", "재고가 부족해 그만큼 담을 수 없습니다.", "There are not that many in stock."},
    {"error_cart_too_large_for_cookie",
     "장바구니가 쿠키 한도(4096바이트)를 넘습니다. 먼저 주문하거나 상품을 빼 주세요.",
     "The cart no longer fits in its cookie (4096 bytes); check out or remove an item first."},
    {"error_invalid_input", "수량은 1부터 99까지 고를 수 있습니다.", "Choose a quantity from 1 to 99."},
    {"error_csrf", "페이지가 만료되었습니다. 다시 시도해 주세요.", "This page expired. Please try again."},
    {"register", "회원가입", "Create an account"},
    {"logout", "로그아웃", "Log out"},
    {"email", "이메일", "Email"},
    {"password", "비밀번호", "Password"},
    {"password_hint", "8자 이상", "At least 8 characters"},
    {"your_name", "이름", "Name"},
    {"login_intro", "로그인하면 장바구니가 어느 기기에서나 이어집니다.",
     "Log in and your cart follows you to any device."},
    {"no_account", "아직 계정이 없으신가요?", "New here?"},
    {"have_account", "이미 계정이 있으신가요?", "Already have an account?"},
    {"hello_name", "{name}님, 안녕하세요", "Hello, {name}"},
    {"error_invalid_credentials", "이메일 또는 비밀번호가 맞지 않습니다.", "The email or the password is not right."},
    {"error_too_many_attempts", "로그인 시도가 너무 많습니다. 몇 분 뒤에 다시 시도해 주세요.",
     "Too many login attempts. Please wait a few minutes and try again."},
    {"error_email_taken", "이미 가입된 이메일입니다. 로그인해 주세요.",
     "An account with this email already exists. Please log in."},
    {"error_invalid_email", "이메일 주소를 확인해 주세요.", "Please check the email address."},
    {"error_invalid_password", "비밀번호는 8자에서 128자 사이여야 합니다.",
     "The password must be 8 to 128 characters."},
    {"error_invalid_name", "이름을 입력해 주세요 (100자 이내).", "Please enter your name (up to 100 characters)."},
    {"addresses", "배송지 관리", "Addresses"},
    {"add_address", "새 배송지 추가", "Add an address"},
    {"save", "저장", "Save"},
    {"delete", "삭제", "Delete"},
    {"make_default", "기본 배송지로", "Make default"},
    {"default_address", "기본 배송지", "Default"},
    {"recipient", "받는 분", "Recipient"},
    {"line1", "주소", "Address"},
    {"line2", "상세 주소", "Address line 2"},
    {"city", "도시", "City"},
    {"postal_code", "우편번호", "Postal code"},
    {"country", "국가 코드", "Country code"},
    {"phone", "연락처", "Phone"},
    {"no_addresses", "저장된 배송지가 없습니다.", "No saved addresses yet."},
    {"checkout", "주문하기", "Checkout"},
    {"place_order", "결제하고 주문하기", "Place order"},
    {"ship_to", "배송지", "Ship to"},
    {"review_order", "주문 상품", "Your items"},
    {"orders", "주문 내역", "Orders"},
    {"no_orders", "아직 주문이 없습니다.", "No orders yet."},
    {"order_n", "주문 #{n}", "Order #{n}"},
    {"order_placed", "주문이 완료되었습니다. 감사합니다!", "Thank you! Your order is placed."},
    {"status_placed", "주문 접수", "Placed"},
    {"ordered_at", "주문일", "Ordered"},
    {"error_empty_cart", "장바구니가 비어 있습니다.", "Your cart is empty."},
    {"error_address", "배송지 입력을 확인해 주세요.", "Please check the address fields."},
    {"error_choose_address", "배송지를 선택하거나 추가해 주세요.", "Choose or add an address."},
    {"error_not_found", "찾을 수 없습니다.", "Not found."},
    {"session_expired", "로그인 세션이 만료되었습니다. 다시 로그인하면 계정의 장바구니를 볼 수 있습니다.",
     "Your session expired. Log in again to see your account and its cart."},
    {"error_no_size", "사이즈를 선택해 주세요.", "Please choose a size."},
    {"select_size", "사이즈를 선택하세요", "Select a size"},
    {"not_found_title", "페이지를 찾을 수 없습니다", "Page not found"},
    {"not_found_message", "요청하신 페이지가 없거나 다른 곳으로 옮겨졌습니다.",
     "The page you are looking for does not exist or has moved."},
    {"back_home", "홈으로 돌아가기", "Back to the home page"},
    {"error_title", "문제가 발생했습니다", "Something went wrong"},
    {"error_help", "잠시 후 다시 시도해 주세요.", "Please try again in a moment."},
    {"unavailable_message", "지금은 상품 정보를 불러올 수 없습니다. 잠시 후 다시 시도해 주세요.",
     "We cannot load the catalogue right now. Please try again in a moment."},
    {"not_confirmed_message", "변경 사항이 저장되지 않았을 수 있습니다. 다시 시도해 주세요.",
     "Your change may not have been saved; please try again."},
    {"bad_text_message", "주소에 올바르지 않은 문자가 있습니다. 주소를 확인해 주세요.",
     "The address holds characters that are not valid text. Please check it."},
    {"description", "상품 설명", "Description"},
    {"language", "언어", "Language"},
    {"all_products", "전체 상품", "All products"},
    {"hero_eyebrow", "새 시즌 아우터", "New season outerwear"},
    {"hero_title", "가볍고 따뜻한 항공 점퍼", "Light, warm flight jackets"},
    {"hero_text", "MA-1 항공 점퍼부터 매일 입는 티셔츠까지, 지금 가장 많이 찾는 옷을 만나 보세요.",
     "From MA-1 bombers to everyday tees: the pieces everyone is looking for right now."},
    {"hero_cta", "아우터 보기", "Shop outerwear"},
    {"hero_cta_search", "항공 점퍼 찾기", "Find flight jackets"},
    {"hero_search_url", "/search?q=%ED%95%AD%EA%B3%B5+%EC%A0%90%ED%8D%BC", "/search?q=flight+jacket"},
    {"footer_note", "MyClothes는 확장 가능한 웹 아키텍처를 보여 주는 데모 스토어입니다.",
     "MyClothes is a demo store that shows a scalable web architecture."},
});

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// A language range "ko" matches "ko" and "ko-KR" but not "kok" (Konkani).
bool is_korean(std::string_view range) {
  return iequals_prefix(range, "ko") && (range.size() == 2 || range[2] == '-' || range[2] == '_');
}

// The q weight of one Accept-Language entry's parameters ("q=0.8"); 1 when absent, nullopt when malformed.
std::optional<double> weight(std::string_view params) {
  double q = 1.0;
  while (!params.empty()) {
    const auto semi = params.find(';');
    auto param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (!iequals_prefix(param, "q=")) continue;
    param.remove_prefix(2);
    // q is at most 1 with up to three decimals (RFC 9110 §12.4.2): parse it as thousandths.
    int whole = 0;
    auto [p, ec] = std::from_chars(param.data(), param.data() + param.size(), whole);
    if (ec != std::errc() || whole < 0 || whole > 1) return std::nullopt;
    int thousandths = 0;
    if (p != param.data() + param.size()) {
      if (*p != '.') return std::nullopt;
      ++p;
      int digits = 0;
      for (; p != param.data() + param.size(); ++p, ++digits) {
        if (*p < '0' || *p > '9' || digits >= 3) return std::nullopt;
        thousandths = thousandths * 10 + (*p - '0');
      }
      for (; digits < 3; ++digits) thousandths *= 10;
    }
    q = whole + thousandths / 1000.0;
    if (q > 1.0) return std::nullopt;
  }
  return q;
}

}  // namespace

Lang parse_lang(std::string_view text) { return is_korean(trim(text)) ? Lang::kKo : Lang::kEn; }

std::optional<Lang> find_lang(std::string_view text) {
  if (text.size() != 2) return std::nullopt;
  if (iequals_prefix(text, "ko")) return Lang::kKo;
  if (iequals_prefix(text, "en")) return Lang::kEn;
  return std::nullopt;
}

std::string_view code(Lang lang) { return lang == Lang::kKo ? "ko" : "en"; }

std::string_view tr(Lang lang, std::string_view key) {
  static const auto index = [] {
    std::unordered_map<std::string_view, const Entry*> m;
    for (const auto& e : kStrings) m.emplace(e.key, &e);
    return m;
  }();
  auto it = index.find(key);
  if (it == index.end()) return key;
  return lang == Lang::kKo ? it->second->ko : it->second->en;
}

const std::vector<std::string_view>& string_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> out;
    out.reserve(kStrings.size());
    for (const auto& e : kStrings) out.push_back(e.key);
    return out;
  }();
  return keys;
}

std::string lang_from_accept_language(std::string_view header) {
  // Bounded: a header longer than this is not a browser's and is read only in part.
  constexpr std::size_t kMaxEntries = 32;
  double best_q = 0.0;
  bool best_ko = false;
  for (std::size_t n = 0; n < kMaxEntries && !header.empty(); ++n) {
    const auto comma = header.find(',');
    const auto entry = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto semi = entry.find(';');
    const auto range = trim(entry.substr(0, semi));
    if (range.empty()) continue;
    const auto q = weight(semi == std::string_view::npos ? std::string_view{} : entry.substr(semi + 1));
    if (!q || *q <= 0.0) continue;
    if (*q > best_q) {
      best_q = *q;
      best_ko = is_korean(range);
    }
  }
  return best_ko ? "ko" : "en";
}

}  // namespace mc::web

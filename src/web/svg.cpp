#include "web/svg.hpp"

#include <array>
#include <cstdio>

namespace mc::web {
namespace {

struct Rgb {
  int r = 0, g = 0, b = 0;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Rgb parse(std::string_view hex6) {
  auto byte = [&](std::size_t i) { return hex_digit(hex6[i]) * 16 + hex_digit(hex6[i + 1]); };
  return {byte(0), byte(2), byte(4)};
}

std::string to_hex(Rgb c) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "#%02x%02x%02x", c.r, c.g, c.b);
  return buf.data();
}

// `c` moved `percent` of the way towards `to`.
Rgb mix(Rgb c, Rgb to, int percent) {
  auto one = [&](int a, int b) { return a + (b - a) * percent / 100; };
  return {one(c.r, to.r), one(c.g, to.g), one(c.b, to.b)};
}

// Perceived lightness 0..255 (Rec. 601 weights, integer arithmetic).
int lightness(Rgb c) { return (299 * c.r + 587 * c.g + 114 * c.b) / 1000; }

// Garment outlines. $f fill, $d detail (seams, rib, pockets), $o outline, $z zip/laces, $s sole.
// Coordinates are for the 600x750 canvas; each drawing stays inside x 80..540, y 110..660.

constexpr std::string_view kBomber =
    R"(<path fill="$f" d="M236 146 168 168Q128 182 118 232L86 512 146 522 178 300 182 560H418L422 300 454 522 514 512 482 232Q472 182 432 168L364 146Q300 178 236 146Z"/>)"
    R"(<path fill="#000" fill-opacity=".07" stroke="none" d="M300 166 364 146 432 168Q472 182 482 232L514 512 454 522 422 300 418 560H300Z"/>)"
    R"(<path fill="$d" d="M86 512 146 522 143 562 82 552ZM514 512 454 522 457 562 518 552ZM182 556H418L420 606H180ZM236 146Q300 178 364 146L356 122Q300 152 244 122Z"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="4" d="M452 300 490 305 485 356 447 351Z"/>)"
    R"(<path stroke="$d" stroke-width="7" stroke-linecap="round" d="M204 420 232 474M396 420 368 474"/>)"
    R"(<path stroke="$z" stroke-width="5" d="M300 166V606"/><rect fill="$z" stroke="none" x="293" y="172" width="14" height="30" rx="4"/>)";

constexpr std::string_view kCoat =
    R"(<path fill="$f" d="M240 140 170 165Q130 180 122 230L96 560 152 568 180 300 176 660H424L420 300 448 568 504 560 478 230Q470 180 430 165L360 140 300 250Z"/>)"
    R"(<path fill="#000" fill-opacity=".07" stroke="none" d="M300 250 360 140 430 165Q470 180 478 230L504 560 448 568 420 300 424 660H300Z"/>)"
    R"(<path fill="$d" d="M240 140 300 250 262 306 246 196ZM360 140 300 250 338 306 354 196ZM96 560 152 568 150 596 93 588ZM504 560 448 568 450 596 507 588Z"/>)"
    R"(<path stroke="$d" stroke-width="4" d="M300 250V660M190 470H246M354 470H410"/>)"
    R"(<circle fill="$d" cx="316" cy="340" r="9"/><circle fill="$d" cx="316" cy="430" r="9"/><circle fill="$d" cx="316" cy="520" r="9"/>)";

constexpr std::string_view kTee =
    R"(<path fill="$f" d="M240 140 164 164 92 262 156 304 194 262V612H406V262L444 304 508 262 436 164 360 140Q300 196 240 140Z"/>)"
    R"(<path fill="#000" fill-opacity=".06" stroke="none" d="M300 168Q334 164 360 140L436 164 508 262 444 304 406 262V612H300Z"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="9" d="M242 146Q300 202 358 146"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="3" d="M102 250 164 290M498 250 436 290M196 590H404"/>)";

constexpr std::string_view kSweat =
    R"(<path fill="$f" d="M244 140 170 162Q132 176 124 222L96 540 150 548 188 300 190 600H410L412 300 450 548 504 540 476 222Q468 176 430 162L356 140Q300 184 244 140Z"/>)"
    R"(<path fill="#000" fill-opacity=".07" stroke="none" d="M300 162Q332 160 356 140L430 162Q468 176 476 222L504 540 450 548 412 300 410 600H300Z"/>)"
    R"(<path fill="$d" d="M96 540 150 548 147 584 92 576ZM504 540 450 548 453 584 508 576ZM190 596H410L412 630H188Z"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="12" d="M246 146Q300 194 354 146"/>)";

constexpr std::string_view kTrousers =
    R"(<path fill="$f" d="M194 168H406L428 648H322L300 290 278 648H172Z"/>)"
    R"(<path fill="#000" fill-opacity=".07" stroke="none" d="M300 168H406L428 648H322L300 290Z"/>)"
    R"(<path fill="$f" d="M196 130H404L406 170H194Z"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="3" d="M300 170V270Q326 264 326 234V170M208 172Q224 226 258 172M392 172Q376 226 342 172M175 624H279M321 624H425"/>)"
    R"(<path fill="$d" stroke="none" d="M226 126H238V174H226ZM362 126H374V174H362Z"/><circle fill="$z" stroke="none" cx="300" cy="150" r="7"/>)";

constexpr std::string_view kDress =
    R"(<path fill="$f" d="M254 116H272L282 196H318L328 116H346L356 214Q368 270 352 320L462 640Q300 672 138 640L248 320Q232 270 244 214Z"/>)"
    R"(<path fill="#000" fill-opacity=".07" stroke="none" d="M300 196H318L328 116H346L356 214Q368 270 352 320L462 640Q380 656 300 656Z"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="10" d="M248 320Q300 336 352 320"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="3" stroke-opacity=".6" d="M300 340V650M266 340 216 644M334 340 384 644M282 196Q300 218 318 196"/>)";

constexpr std::string_view kSneaker =
    R"svg(<g transform="matrix(1.15 0 0 1.15 -45 -96)">)svg"
    R"(<path fill="$s" d="M106 496H532Q542 540 506 548H130Q100 546 106 496Z"/>)"
    R"(<path fill="$f" d="M120 500Q104 430 128 384Q142 362 168 368Q200 378 228 372L270 336Q290 324 304 340L356 384Q420 420 488 436Q526 448 526 500Z"/>)"
    R"(<path fill="#000" fill-opacity=".07" stroke="none" d="M122 500Q300 476 526 484V500Z"/>)"
    R"(<path fill="$d" d="M120 500Q110 440 150 420Q184 432 190 500Z"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="4" d="M430 424Q458 462 454 500M112 516H530M250 392Q300 408 366 398"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="8" stroke-linecap="round" d="M150 374Q194 394 232 372"/>)"
    R"(<path fill="none" stroke="$z" stroke-width="6" stroke-linecap="round" d="M288 350 274 376M310 364 296 392M332 380 320 404"/></g>)";

constexpr std::string_view kTote =
    R"(<path fill="none" stroke="$d" stroke-width="16" d="M224 312Q224 172 300 172Q376 172 376 312"/>)"
    R"(<path fill="$f" d="M148 300H452L484 636Q484 650 470 650H130Q116 650 116 636Z"/>)"
    R"(<path fill="#000" fill-opacity=".07" stroke="none" d="M300 300H452L484 636Q484 650 470 650H300Z"/>)"
    R"(<path fill="$d" stroke="none" d="M214 300H234V346H214ZM366 300H386V346H366Z"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="3" d="M146 334H454"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="3" stroke-dasharray="9 7" d="M196 430H404L410 566H190Z"/>)";

constexpr std::string_view kCap =
    R"svg(<g transform="matrix(1.2 0 0 1.2 -100 -110)">)svg"
    R"(<path fill="$f" d="M150 440Q146 268 300 256Q454 268 450 440Z"/>)"
    R"(<path fill="#000" fill-opacity=".07" stroke="none" d="M300 256Q454 268 450 440H300Z"/>)"
    R"(<path fill="$f" d="M150 440Q300 414 450 440Q516 452 534 488Q470 506 300 488Q196 478 150 440Z"/>)"
    R"(<path fill="none" stroke="$d" stroke-width="3" d="M300 258Q270 340 274 434M300 258Q362 330 384 430M186 452Q300 430 444 454"/>)"
    R"(<circle fill="$d" cx="300" cy="256" r="12"/><circle fill="$d" stroke="none" cx="230" cy="330" r="5"/>)"
    R"(<circle fill="$d" stroke="none" cx="362" cy="322" r="5"/></g>)";

// Soft studio backdrops; one per product, picked from its id.
constexpr std::array<std::string_view, 6> kBackdrops{"#f3f1ec", "#eef1f4", "#f4eff0", "#eef2ed", "#f5f2ea", "#efeff3"};

struct Drawing {
  std::string_view shapes;
  int ground_y;  // where the shadow falls
};

Drawing drawing_for(std::string_view category, std::uint32_t h, std::string_view garment) {
  if (category == "outerwear") {
    const bool coat = garment == "coat" || (garment != "jacket" && h % 3 == 0);
    return coat ? Drawing{kCoat, 668} : Drawing{kBomber, 618};
  }
  if (category == "tops") {
    const bool sweat = garment == "sweat" || (garment != "tee" && h % 4 == 0);
    return sweat ? Drawing{kSweat, 640} : Drawing{kTee, 624};
  }
  if (category == "bottoms") return {kTrousers, 656};
  if (category == "dresses") return {kDress, 662};
  if (category == "shoes") return {kSneaker, 536};
  if (category == "bags") return {kTote, 658};
  if (category == "accessories") return {kCap, 504};
  return {kTee, 624};
}

void append_filled(std::string& out, std::string_view drawing, const std::array<std::string, 5>& colors) {
  for (std::size_t i = 0; i < drawing.size(); ++i) {
    if (drawing[i] == '$' && i + 1 < drawing.size()) {
      const std::string_view keys = "fdozs";
      if (const auto k = keys.find(drawing[i + 1]); k != std::string_view::npos) {
        out += colors[k];
        ++i;
        continue;
      }
    }
    out.push_back(drawing[i]);
  }
}

}  // namespace

bool valid_hex6(std::string_view text) {
  if (text.size() != 6) return false;
  for (char c : text) {
    if (hex_digit(c) < 0) return false;
  }
  return true;
}

std::string product_svg(std::int64_t product_id, std::string_view category_slug, std::string_view color_hex6,
                        std::string_view garment) {
  const Rgb fill = valid_hex6(color_hex6) ? parse(color_hex6) : Rgb{0x8e, 0x8e, 0x8e};
  const bool light = lightness(fill) > 150;
  const Rgb black{17, 17, 17};
  const Rgb white{255, 255, 255};
  // Details contrast with the garment; light garments also need an outline against the light backdrop.
  const std::array<std::string, 5> colors{
      to_hex(fill),
      to_hex(light ? mix(fill, black, 22) : mix(fill, white, 22)),
      to_hex(light ? mix(fill, black, 35) : mix(fill, black, 30)),
      light ? std::string("#6f6f6f") : std::string("#d8d8d8"),
      light ? std::string("#e6ded0") : std::string("#f6f6f4"),
  };

  // Knuth's multiplicative hash spreads neighbouring ids over the backdrops and highlight positions.
  const auto h = static_cast<std::uint32_t>(static_cast<std::uint64_t>(product_id) * 2654435761ULL >> 7);
  const int cx = 120 + static_cast<int>(h % 360);
  const int cy = 150 + static_cast<int>((h / 360) % 300);
  const int r = 170 + static_cast<int>((h / 7) % 110);

  std::string out;
  out.reserve(3200);
  out += R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 750" width="600" height="750">)";
  out += R"(<rect width="600" height="750" fill=")";
  out += kBackdrops[h % kBackdrops.size()];
  out += R"("/><circle cx=")" + std::to_string(cx) + R"(" cy=")" + std::to_string(cy) + R"(" r=")" + std::to_string(r) +
         R"(" fill="#fff" fill-opacity=".55"/>)";
  const Drawing drawing = drawing_for(category_slug, h, garment);
  out += R"(<ellipse cx="300" cy=")" + std::to_string(drawing.ground_y) +
         R"(" rx="210" ry="16" fill="#000" fill-opacity=".08"/>)";
  out += R"(<g stroke=")" + colors[2] + R"(" stroke-width="3" stroke-linejoin="round">)";
  append_filled(out, drawing.shapes, colors);
  out += "</g></svg>";
  return out;
}

}  // namespace mc::web

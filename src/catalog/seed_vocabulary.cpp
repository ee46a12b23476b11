#include "catalog/seed_vocabulary.hpp"

namespace mc::catalog::detail {
namespace {

// Materials (and finishes) shared by several garments.
constexpr Word kWool{"울", "Wool"};
constexpr Word kCashmere{"캐시미어", "Cashmere"};
constexpr Word kCotton{"코튼", "Cotton"};
constexpr Word kLinen{"린넨", "Linen"};
constexpr Word kNylon{"나일론", "Nylon"};
constexpr Word kLeather{"레더", "Leather"};
constexpr Word kSuede{"스웨이드", "Suede"};
constexpr Word kCanvas{"캔버스", "Canvas"};
constexpr Word kDenim{"데님", "Denim"};
constexpr Word kSilk{"실크", "Silk"};
constexpr Word kChiffon{"쉬폰", "Chiffon"};
constexpr Word kMohair{"모헤어", "Mohair"};
constexpr Word kFleeceLined{"기모", "Fleece-lined"};
constexpr Word kWashed{"워싱", "Washed"};
constexpr Word kRaw{"생지", "Raw Denim"};
constexpr Word kStretch{"스트레치", "Stretch"};
constexpr Word kCorduroy{"코듀로이", "Corduroy"};
constexpr Word kFloral{"플로럴", "Floral"};

// ---- outerwear
constexpr Word kOuterStyles[] = {
    {"오버핏", "Oversized"}, {"슬림핏", "Slim-fit"},  {"크롭", "Cropped"},     {"빈티지", "Vintage"},
    {"베이직", "Basic"},     {"클래식", "Classic"},   {"미니멀", "Minimal"},   {"레귤러핏", "Regular-fit"},
    {"캐주얼", "Casual"},    {"프리미엄", "Premium"}, {"경량", "Lightweight"}, {"스탠다드", "Standard"},
};
constexpr Word kFlightMaterials[] = {kNylon, kWool, kSuede, kLeather, {"새틴", "Satin"}};
constexpr Word kTrenchMaterials[] = {kCotton, {"개버딘", "Gabardine"}};
constexpr Word kPufferMaterials[] = {{"덕다운", "Duck Down"}, {"구스다운", "Goose Down"}, kNylon};
constexpr Word kDenimJacketMaterials[] = {kWashed, kRaw, {"블랙진", "Black Denim"}};
constexpr Word kBlazerMaterials[] = {kWool, kLinen, {"트위드", "Tweed"}, kCorduroy};
constexpr Word kCardiganMaterials[] = {kWool, kCashmere, kCotton, kMohair};
constexpr Word kCoatMaterials[] = {kWool, kCashmere, {"알파카", "Alpaca"}};
constexpr Word kWindbreakerMaterials[] = {kNylon, {"립스탑", "Ripstop"}};
constexpr Word kLeatherJacketMaterials[] = {{"램스킨", "Lambskin"}, {"비건 레더", "Vegan Leather"}};
constexpr Word kFleeceMaterials[] = {{"보아", "Boa"}, {"폴라", "Polar"}};

constexpr Garment kOuterwear[] = {
    {{"항공 점퍼", "Flight Jacket"},
     "MA-1 bomber 항공점퍼 flight jacket 봄버 재킷 블루종 blouson",
     59'000,
     259'000,
     4,
     kFlightMaterials},
    {{"트렌치 코트", "Trench Coat"}, "trench coat 트렌치코트 바바리 코트", 99'000, 399'000, 2, kTrenchMaterials},
    {{"패딩 점퍼", "Puffer Jacket"},
     "puffer down jacket padding 패딩 다운 숏패딩 롱패딩",
     79'000,
     399'000,
     2,
     kPufferMaterials},
    {{"데님 재킷", "Denim Jacket"},
     "denim jacket jean jacket trucker 청자켓 데님자켓 청재킷",
     49'000,
     179'000,
     2,
     kDenimJacketMaterials},
    {{"블레이저", "Blazer"}, "blazer suit jacket 자켓 재킷 정장 블레이져", 69'000, 299'000, 2, kBlazerMaterials},
    {{"가디건", "Cardigan"}, "cardigan knit 니트 가디건 카디건", 29'000, 159'000, 2, kCardiganMaterials},
    {{"롱 코트", "Long Coat"}, "coat overcoat long coat 롱코트 코트", 129'000, 399'000, 2, kCoatMaterials},
    {{"바람막이", "Windbreaker"},
     "windbreaker anorak 아노락 바람막이 windproof jacket",
     39'000,
     149'000,
     1,
     kWindbreakerMaterials},
    {{"라이더 재킷", "Biker Jacket"},
     "biker jacket rider leather jacket 라이더자켓 가죽자켓",
     149'000,
     399'000,
     1,
     kLeatherJacketMaterials},
    {{"플리스 재킷", "Fleece Jacket"}, "fleece jacket 후리스 플리스 뽀글이", 39'000, 129'000, 1, kFleeceMaterials},
};

// ---- tops
constexpr Word kTopStyles[] = {
    {"오버핏", "Oversized"}, {"슬림핏", "Slim-fit"},    {"크롭", "Cropped"},         {"빈티지", "Vintage"},
    {"베이직", "Basic"},     {"스트라이프", "Striped"}, {"레귤러핏", "Regular-fit"}, {"루즈핏", "Loose-fit"},
    {"미니멀", "Minimal"},   {"클래식", "Classic"},     {"캐주얼", "Casual"},
};
constexpr Word kTeeMaterials[] = {kCotton, kLinen, {"오가닉 코튼", "Organic Cotton"}};
constexpr Word kShirtMaterials[] = {{"옥스포드", "Oxford"}, kLinen, kCotton, {"플란넬", "Flannel"}};
constexpr Word kHoodieMaterials[] = {kCotton, kFleeceLined};
constexpr Word kKnitMaterials[] = {kWool, kCashmere, kCotton, kMohair};
constexpr Word kBlouseMaterials[] = {kSilk, kChiffon, kLinen};
constexpr Word kPoloMaterials[] = {kCotton, {"피케", "Pique"}};
constexpr Word kTankMaterials[] = {kCotton, {"골지", "Ribbed"}};

constexpr Garment kTops[] = {
    {{"티셔츠", "T-Shirt"}, "t-shirt tee tshirt 티 반팔 반팔티 티셔츠", 9'900, 59'000, 3, kTeeMaterials},
    {{"셔츠", "Shirt"}, "shirt button-down dress shirt 남방 와이셔츠", 29'000, 129'000, 2, kShirtMaterials},
    {{"후드티", "Hoodie"}, "hoodie hooded sweatshirt 후디 후드 후드티셔츠", 29'000, 119'000, 2, kHoodieMaterials},
    {{"니트", "Knit Sweater"}, "knit sweater jumper pullover 스웨터 니트웨어", 29'000, 189'000, 2, kKnitMaterials},
    {{"맨투맨", "Sweatshirt"}, "sweatshirt crewneck crew neck 맨투맨티 스웻셔츠", 19'000, 89'000, 2, kHoodieMaterials},
    {{"블라우스", "Blouse"}, "blouse 블라우스 여성셔츠", 29'000, 119'000, 1, kBlouseMaterials},
    {{"폴로 셔츠", "Polo Shirt"}, "polo shirt pk 카라티 피케셔츠", 19'000, 99'000, 1, kPoloMaterials},
    {{"슬리브리스", "Tank Top"}, "sleeveless tank top 나시 민소매", 9'900, 39'000, 1, kTankMaterials},
};

// ---- bottoms
constexpr Word kBottomStyles[] = {
    {"와이드", "Wide"},      {"슬림핏", "Slim-fit"},         {"스트레이트", "Straight"}, {"빈티지", "Vintage"},
    {"베이직", "Basic"},     {"하이웨이스트", "High-waist"}, {"테이퍼드", "Tapered"},    {"크롭", "Cropped"},
    {"루즈핏", "Loose-fit"}, {"미니멀", "Minimal"},
};
constexpr Word kJeansMaterials[] = {kWashed, kRaw, kStretch};
constexpr Word kSlacksMaterials[] = {kWool, kLinen, kCotton};
constexpr Word kShortsMaterials[] = {kCotton, kLinen, kNylon, kDenim};
constexpr Word kSkirtMaterials[] = {kDenim, kWool, kLinen, {"플리츠", "Pleated"}};
constexpr Word kCargoMaterials[] = {kCotton, kNylon, {"립스탑", "Ripstop"}};
constexpr Word kJoggerMaterials[] = {kCotton, kFleeceLined};
constexpr Word kChinoMaterials[] = {kCotton, kStretch, kCorduroy};

constexpr Garment kBottoms[] = {
    {{"청바지", "Jeans"}, "jeans denim pants 데님 팬츠 진 청바지 데님팬츠", 29'000, 179'000, 3, kJeansMaterials},
    {{"슬랙스", "Slacks"}, "slacks trousers dress pants 정장바지 슬랙스", 29'000, 149'000, 2, kSlacksMaterials},
    {{"반바지", "Shorts"}, "shorts half pants 숏팬츠 하프팬츠 반바지", 14'900, 69'000, 2, kShortsMaterials},
    {{"스커트", "Skirt"}, "skirt 치마 미니스커트 롱스커트", 19'000, 119'000, 2, kSkirtMaterials},
    {{"카고 바지", "Cargo Pants"}, "cargo pants 카고팬츠 카고 military pants", 39'000, 139'000, 2, kCargoMaterials},
    {{"조거 팬츠", "Jogger Pants"},
     "jogger pants sweatpants 조거 트레이닝 츄리닝",
     19'000,
     79'000,
     1,
     kJoggerMaterials},
    {{"치노 팬츠", "Chino Pants"}, "chino chinos pants 면바지 치노", 29'000, 99'000, 1, kChinoMaterials},
};

// ---- dresses
constexpr Word kDressStyles[] = {
    {"빈티지", "Vintage"},   {"베이직", "Basic"},    {"미니멀", "Minimal"},
    {"클래식", "Classic"},   {"플레어", "Flared"},   {"슬림핏", "Slim-fit"},
    {"루즈핏", "Loose-fit"}, {"로맨틱", "Romantic"}, {"캐주얼", "Casual"},
};
constexpr Word kDressMaterials[] = {kLinen, kCotton, kSilk, kChiffon, kFloral};
constexpr Word kKnitDressMaterials[] = {kWool, kCashmere, kCotton};

constexpr Garment kDresses[] = {
    {{"셔츠 원피스", "Shirt Dress"}, "shirt dress 셔츠드레스 원피스 dress", 39'000, 169'000, 2, kDressMaterials},
    {{"니트 원피스", "Knit Dress"},
     "knit dress sweater dress 니트드레스 원피스",
     39'000,
     199'000,
     2,
     kKnitDressMaterials},
    {{"롱 원피스", "Maxi Dress"}, "maxi dress long dress 롱원피스 맥시 원피스", 39'000, 199'000, 2, kDressMaterials},
    {{"미니 원피스", "Mini Dress"}, "mini dress short dress 미니원피스 원피스", 29'000, 149'000, 2, kDressMaterials},
    {{"슬립 원피스", "Slip Dress"}, "slip dress camisole dress 슬립드레스 원피스", 29'000, 159'000, 1, kDressMaterials},
    {{"랩 원피스", "Wrap Dress"}, "wrap dress 랩드레스 원피스", 39'000, 179'000, 1, kDressMaterials},
};

// ---- shoes
constexpr Word kShoeStyles[] = {
    {"클래식", "Classic"},   {"미니멀", "Minimal"}, {"빈티지", "Vintage"},  {"청키", "Chunky"},
    {"경량", "Lightweight"}, {"베이직", "Basic"},   {"데일리", "Everyday"}, {"프리미엄", "Premium"},
};
constexpr Word kSneakerMaterials[] = {kCanvas, kLeather, kSuede, {"메쉬", "Mesh"}};
constexpr Word kLoaferMaterials[] = {kLeather, kSuede, {"페이턴트", "Patent"}};
constexpr Word kBootMaterials[] = {kLeather, kSuede};
constexpr Word kSandalMaterials[] = {kLeather, {"러버", "Rubber"}};
constexpr Word kSlipOnMaterials[] = {kCanvas, kLeather};

constexpr Garment kShoes[] = {
    {{"스니커즈", "Sneakers"}, "sneakers trainers 운동화 스니커", 39'000, 219'000, 3, kSneakerMaterials},
    {{"로퍼", "Loafers"}, "loafers penny loafer 페니로퍼 구두", 59'000, 259'000, 2, kLoaferMaterials},
    {{"부츠", "Boots"}, "boots ankle boots chelsea boots 워커 앵클부츠 첼시부츠", 79'000, 329'000, 2, kBootMaterials},
    {{"샌들", "Sandals"}, "sandals sandal slides 슬리퍼 샌들", 19'000, 129'000, 1, kSandalMaterials},
    {{"더비 슈즈", "Derby Shoes"}, "derby shoes dress shoes 더비 구두 옥스포드", 79'000, 289'000, 1, kBootMaterials},
    {{"슬립온", "Slip-ons"}, "slip-on slip on 슬립온 스니커즈", 29'000, 99'000, 1, kSlipOnMaterials},
};

// ---- bags
constexpr Word kBagStyles[] = {
    {"미니", "Mini"},       {"미니멀", "Minimal"}, {"빈티지", "Vintage"}, {"클래식", "Classic"},
    {"데일리", "Everyday"}, {"스퀘어", "Square"},  {"베이직", "Basic"},   {"빅", "Large"},
};
constexpr Word kToteMaterials[] = {kLeather, kCanvas, kNylon};
constexpr Word kCrossMaterials[] = {kLeather, kNylon};
constexpr Word kShoulderMaterials[] = {kLeather, kSuede, kCanvas};
constexpr Word kEcoMaterials[] = {kCanvas, kCotton};
constexpr Word kClutchMaterials[] = {kLeather, kSuede};

constexpr Garment kBags[] = {
    {{"토트백", "Tote Bag"}, "tote bag shopper 토트 가방 빅백", 29'000, 299'000, 2, kToteMaterials},
    {{"백팩", "Backpack"}, "backpack rucksack 백팩 배낭 책가방", 39'000, 229'000, 2, kToteMaterials},
    {{"크로스백", "Crossbody Bag"},
     "crossbody bag messenger bag 크로스 가방 메신저백",
     29'000,
     259'000,
     2,
     kCrossMaterials},
    {{"숄더백", "Shoulder Bag"}, "shoulder bag hobo bag 숄더 가방 호보백", 39'000, 349'000, 2, kShoulderMaterials},
    {{"에코백", "Eco Bag"}, "eco bag canvas bag tote 에코백 천가방", 9'900, 39'000, 1, kEcoMaterials},
    {{"클러치", "Clutch"}, "clutch pouch 클러치백 파우치", 19'000, 149'000, 1, kClutchMaterials},
};

// ---- accessories
constexpr Word kAccessoryStyles[] = {
    {"베이직", "Basic"},    {"빈티지", "Vintage"}, {"클래식", "Classic"},   {"미니멀", "Minimal"},
    {"데일리", "Everyday"}, {"로고", "Logo"},      {"프리미엄", "Premium"},
};
constexpr Word kCapMaterials[] = {kCotton, kNylon, kCorduroy};
constexpr Word kBeanieMaterials[] = {kWool, kCashmere, kCotton};
constexpr Word kBucketMaterials[] = {kCotton, kNylon, kDenim};
constexpr Word kScarfMaterials[] = {kWool, kCashmere};
constexpr Word kBeltMaterials[] = {kLeather, kCanvas};
constexpr Word kSockMaterials[] = {kCotton, kWool};
constexpr Word kGloveMaterials[] = {kLeather, kWool, kCashmere};

constexpr Garment kAccessories[] = {
    {{"볼캡", "Ball Cap"}, "cap baseball cap 모자 야구모자 볼캡", 14'900, 59'000, 2, kCapMaterials},
    {{"비니", "Beanie"}, "beanie knit hat 모자 털모자 비니", 9'900, 49'000, 2, kBeanieMaterials},
    {{"버킷햇", "Bucket Hat"}, "bucket hat 모자 벙거지", 14'900, 59'000, 1, kBucketMaterials},
    {{"머플러", "Scarf"}, "scarf muffler 목도리 스카프 머플러", 19'000, 159'000, 2, kScarfMaterials},
    {{"벨트", "Belt"}, "belt leather belt 허리띠 벨트", 19'000, 129'000, 2, kBeltMaterials},
    {{"양말", "Socks"}, "socks 양말 삭스", 9'900, 19'900, 1, kSockMaterials},
    {{"장갑", "Gloves"}, "gloves 장갑 글러브", 14'900, 89'000, 1, kGloveMaterials},
    {{"선글라스", "Sunglasses"}, "sunglasses shades 선글라스 썬글라스", 29'000, 249'000, 1, {}},
};

constexpr CategoryVocabulary kVocabulary[] = {
    {1, 18, kOuterwear, kOuterStyles},       {2, 24, kTops, kTopStyles},   {3, 18, kBottoms, kBottomStyles},
    {4, 10, kDresses, kDressStyles},         {5, 12, kShoes, kShoeStyles}, {6, 8, kBags, kBagStyles},
    {7, 10, kAccessories, kAccessoryStyles},
};

// The English name may be singular or plural ("Blazer", "Jeans"): no verb agrees with it, no pronoun
// refers to it. The Korean name is followed only by particles that fit any final syllable (입니다).
constexpr Sentence kIntro[] = {
    {"매일 손이 가는 {name}입니다.", "Meet the {name}, made for every day."},
    {"익숙한 디자인을 새롭게 해석한 {name}입니다.", "A familiar design, freshly made: the {name}."},
    {"어떤 코디에도 자연스럽게 어울리는 {name}입니다.", "Made to go with any outfit: the {name}."},
    {"이번 시즌 가장 사랑받는 {name}입니다.", "This season's favourite: the {name}."},
    {"군더더기 없는 디자인의 {name}입니다.", "Clean lines and nothing extra: the {name}."},
    {"MyClothes가 자신 있게 추천하는 {name}입니다.", "MyClothes proudly recommends the {name}."},
};

constexpr Sentence kDetail[] = {
    {"가볍고 편안한 착용감이 특징입니다.", "Light and comfortable to wear."},
    {"꼼꼼한 마감으로 오래도록 함께할 수 있습니다.", "Careful finishing that lasts for years."},
    {"계절에 상관없이 활용도가 높습니다.", "Made to work in every season."},
    {"부드러운 소재가 기분 좋은 촉감을 전합니다.", "Soft materials that feel good to the touch."},
    {"여유 있는 실루엣으로 움직임이 자유롭습니다.", "A relaxed silhouette that leaves room to move."},
    {"탄탄한 소재로 형태가 잘 유지됩니다.", "Sturdy materials that keep their shape."},
};

constexpr Sentence kClosing[] = {
    {"{n}가지 컬러로 만나보세요.", "Available in {n} colors."},
    {"캐주얼과 포멀 어디에나 잘 어울립니다.", "Easy to dress up or down."},
    {"관리 방법은 제품 라벨을 참고해 주세요.", "See the label for care instructions."},
    {"선물용으로도 좋습니다.", "A great gift, too."},
};

}  // namespace

std::span<const CategoryVocabulary> vocabulary() { return kVocabulary; }
std::span<const Sentence> intro_sentences() { return kIntro; }
std::span<const Sentence> detail_sentences() { return kDetail; }
std::span<const Sentence> closing_sentences() { return kClosing; }

}  // namespace mc::catalog::detail

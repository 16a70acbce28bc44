//! Generates the Pingliang example deployment at the seed's real scale (`pingliang/`).
//!
//! `cargo run -p onedoor-tenants-example --example generate` rewrites every data file of
//! `tenants-example/pingliang` except the plugin components (those come from
//! `onedoor plugin build plugins/<name>`, see `tenants-example/generate.sh`). The output depends
//! only on this file: a fixed seed drives a small deterministic generator, so running it twice
//! gives the same bytes. Unit and zone names are the seed's; where the seed gives only counts
//! (matters, staff, windows), plausible items are made from per-unit templates.
//!
//! The seed's figures and how they come out of the files:
//! - 95 units: 39 city departments and the 20 public-service bodies belong to the city centre
//!   (the hall is run by the city and the utilities, banks, telecoms and the post serve the
//!   whole city), 36 district departments to Kongtong.
//! - 564 staff (289 city, 275 district) are the members of staff without the `GUIDE` role; the
//!   24 guide and proxy agents (12 per centre) are counted apart, as the seed lists them.
//! - 1887 matters (972 city, 915 district), 251 windows in the 20 zones.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// A deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The 20 functional zones of the seed, with their window counts (251 in all).
const ZONES: [(&str, &str, usize); 20] = [
    ("A", "税务服务区", 30),
    ("B", "公安交管服务区", 16),
    ("C", "运政服务区", 10),
    ("D", "医疗保险服务区", 14),
    ("E", "市场监管服务区", 20),
    ("F", "不动产登记服务区", 22),
    ("G", "公积金服务区", 10),
    ("H", "公安综合业务服务区", 18),
    ("I", "投资项目服务区", 12),
    ("J", "公共法律服务区", 8),
    ("K", "社会保险服务区", 20),
    ("L", "社会事务服务区", 12),
    ("M", "民政婚姻登记服务区", 8),
    ("N", "金融服务区", 12),
    ("O", "老年人残疾人服务区", 6),
    ("P", "中介代办服务区", 10),
    ("Q", "网上自助服务区", 6),
    ("R", "24小时自助服务区", 4),
    ("S", "商务文印服务区", 3),
    ("T", "12345综合便民热线受理中心", 10),
];

/// A unit: code, name, the letters in its matter codes, its zone, its weight (share of the
/// centre's matters and staff), and its template family.
struct UnitDef {
    code: &'static str,
    name: String,
    letters: &'static str,
    zone: &'static str,
    weight: usize,
    family: &'static str,
    kind: &'static str,
}

/// (code, name without the area prefix, letters, zone, weight, family)
type Row = (&'static str, &'static str, &'static str, &'static str, usize, &'static str);

const CITY_DEPARTMENTS: [Row; 39] = [
    ("fgw", "发展和改革委员会", "FG", "I", 4, "invest"),
    ("gxj", "工业和信息化局", "GX", "I", 2, "industry"),
    ("jyj", "教育局", "JY", "L", 3, "education"),
    ("kjj", "科学技术局", "KJ", "I", 1, "science"),
    ("gaj", "公安局", "GA", "H", 6, "police"),
    ("jjzd", "公安局交通警察支队", "JJ", "B", 5, "traffic"),
    ("crj", "公安局出入境管理支队", "CR", "H", 2, "exit"),
    ("mzj", "民政局", "MZ", "M", 3, "civil"),
    ("sfj", "司法局", "SF", "J", 3, "justice"),
    ("czj", "财政局", "CZ", "N", 2, "finance"),
    ("rsj", "人力资源和社会保障局", "RS", "K", 6, "social"),
    ("zrzy", "自然资源局", "ZR", "F", 5, "land"),
    ("sthj", "生态环境局", "HB", "I", 3, "environment"),
    ("zjj", "住房和城乡建设局", "ZJ", "I", 5, "construction"),
    ("jtj", "交通运输局", "JT", "C", 4, "transport"),
    ("swj", "水务局", "SL", "I", 3, "water"),
    ("nyj", "农业农村局", "NY", "L", 4, "agriculture"),
    ("shj", "商务局", "SH", "E", 2, "commerce"),
    ("wlj", "文化和旅游局", "WL", "L", 3, "culture"),
    ("wjw", "卫生健康委员会", "WJ", "L", 5, "health"),
    ("tyjr", "退役军人事务局", "TY", "L", 2, "veterans"),
    ("yjj", "应急管理局", "YJ", "E", 2, "safety"),
    ("sjj", "审计局", "SJ", "N", 1, "audit"),
    ("scjg", "市场监督管理局", "SC", "E", 7, "market"),
    ("tjj", "统计局", "TJ", "N", 1, "statistics"),
    ("ybj", "医疗保障局", "YB", "D", 4, "medical"),
    ("lcj", "林业和草原局", "LC", "F", 2, "forestry"),
    ("rfb", "人民防空办公室", "RF", "I", 1, "civil-defence"),
    ("cgj", "城市管理综合执法局", "CG", "I", 2, "urban"),
    ("mzw", "民族宗教事务委员会", "MW", "L", 1, "religion"),
    ("qxj", "气象局", "QX", "I", 1, "weather"),
    ("dzj", "地震局", "DZ", "I", 1, "earthquake"),
    ("ycj", "烟草专卖局", "YC", "E", 1, "tobacco"),
    ("da", "档案馆", "DA", "L", 1, "archives"),
    ("cl", "残疾人联合会", "CL", "O", 2, "disabled"),
    ("llb", "老龄工作委员会办公室", "LL", "O", 1, "elderly"),
    ("xfzd", "消防救援支队", "XF", "I", 2, "fire"),
    ("yzj", "邮政管理局", "YZ", "S", 1, "postal"),
    ("swju", "税务局", "SW", "A", 7, "tax"),
];

const DISTRICT_DEPARTMENTS: [Row; 36] = [
    ("fgj", "发展和改革局", "FG", "I", 3, "invest"),
    ("gxj", "工业和信息化局", "GX", "I", 2, "industry"),
    ("jyj", "教育局", "JY", "L", 4, "education"),
    ("kjj", "科学技术局", "KJ", "I", 1, "science"),
    ("gafj", "公安分局", "GA", "H", 7, "police"),
    ("jjdd", "交警大队", "JJ", "B", 4, "traffic"),
    ("mzj", "民政局", "MZ", "M", 5, "civil"),
    ("sfj", "司法局", "SF", "J", 3, "justice"),
    ("czj", "财政局", "CZ", "N", 2, "finance"),
    ("rsj", "人力资源和社会保障局", "RS", "K", 6, "social"),
    ("zrfj", "自然资源分局", "ZR", "F", 4, "land"),
    ("hbfj", "生态环境分局", "HB", "I", 2, "environment"),
    ("zjj", "住房和城乡建设局", "ZJ", "I", 4, "construction"),
    ("jtj", "交通运输局", "JT", "C", 3, "transport"),
    ("swj", "水务局", "SL", "I", 2, "water"),
    ("nyj", "农业农村局", "NY", "L", 5, "agriculture"),
    ("shj", "商务局", "SH", "E", 2, "commerce"),
    ("wlj", "文化和旅游局", "WL", "L", 2, "culture"),
    ("wjj", "卫生健康局", "WJ", "L", 5, "health"),
    ("tyjr", "退役军人事务局", "TY", "L", 2, "veterans"),
    ("yjj", "应急管理局", "YJ", "E", 2, "safety"),
    ("sjj", "审计局", "SJ", "N", 1, "audit"),
    ("scjg", "市场监督管理局", "SC", "E", 7, "market"),
    ("tjj", "统计局", "TJ", "N", 1, "statistics"),
    ("ybj", "医疗保障局", "YB", "D", 4, "medical"),
    ("lcj", "林业和草原局", "LC", "F", 2, "forestry"),
    ("rfb", "人民防空办公室", "RF", "I", 1, "civil-defence"),
    ("cgj", "城市管理综合执法局", "CG", "I", 2, "urban"),
    ("mzzj", "民族宗教事务局", "MW", "L", 1, "religion"),
    ("da", "档案馆", "DA", "L", 1, "archives"),
    ("cl", "残疾人联合会", "CL", "O", 2, "disabled"),
    ("llb", "老龄工作委员会办公室", "LL", "O", 1, "elderly"),
    ("xfdd", "消防救援大队", "XF", "I", 1, "fire"),
    ("xczx", "乡村振兴局", "XC", "L", 2, "rural"),
    ("jdj", "街道和乡镇便民服务指导办公室", "BM", "L", 2, "community"),
    ("swju", "税务局", "SW", "A", 7, "tax"),
];

/// The 20 public-service bodies (all stationed with the city centre): code, name, letters,
/// zone, weight, family.
const PUBLIC_SERVICE_BODIES: [Row; 20] = [
    ("gdgs", "国网平凉供电公司", "GD", "L", 2, "power"),
    ("gszgs", "平凉市供水总公司", "GS", "L", 1, "utility"),
    ("trqgs", "平凉市天然气有限责任公司", "RQ", "L", 1, "utility"),
    ("rlgs", "平凉市热力有限公司", "RL", "L", 1, "utility"),
    ("gdwl", "甘肃省广电网络平凉分公司", "GW", "L", 1, "utility"),
    ("gjj", "平凉市住房公积金管理中心", "GJ", "G", 4, "housing-fund"),
    ("bdczx", "平凉市不动产登记中心", "BD", "F", 4, "land"),
    ("fcjy", "平凉市房产交易中心", "FC", "F", 2, "property"),
    ("gzc", "平凉市公证处", "GZ", "J", 2, "notary"),
    ("flyz", "平凉市法律援助中心", "FY", "J", 1, "legal-aid"),
    ("ggzy", "平凉市公共资源交易中心", "GZY", "I", 1, "trading"),
    ("rcjl", "平凉市人才交流服务中心", "RC", "K", 1, "talent"),
    ("yzgs", "中国邮政集团有限公司平凉市分公司", "YZG", "S", 1, "post"),
    ("dxgs", "中国电信平凉分公司", "DX", "L", 1, "telecom"),
    ("ydgs", "中国移动平凉分公司", "YD", "L", 1, "telecom"),
    ("ltgs", "中国联通平凉分公司", "LT", "L", 1, "telecom"),
    ("gsyh", "中国工商银行平凉分行", "GH", "N", 1, "bank"),
    ("nyyh", "中国农业银行平凉分行", "NH", "N", 1, "bank"),
    ("jsyh", "中国建设银行平凉分行", "JH", "N", 1, "bank"),
    ("gsyhpl", "甘肃银行平凉分行", "GSH", "N", 1, "bank"),
];

/// Base matters per template family: (type letter, name). Type letters: X licence (XK),
/// Q confirmation (QR), J payment (JF), Z levy (ZS), C ruling (CJ), W award (JL),
/// G public service (GG), T other (QT).
fn bases(family: &str) -> &'static [(char, &'static str)] {
    match family {
        "invest" => &[
            ('X', "企业投资项目核准"),
            ('T', "企业投资项目备案"),
            ('X', "固定资产投资项目节能审查"),
            ('Q', "政府投资项目可行性研究报告审批"),
            ('G', "价格认定"),
        ],
        "industry" => &[('X', "民用爆炸物品销售许可"), ('Q', "技术改造项目备案"), ('G', "无线电台执照核发")],
        "education" => &[
            ('X', "民办学校设立审批"),
            ('X', "教师资格认定"),
            ('X', "校车使用许可"),
            ('G', "学历证明办理"),
            ('G', "义务教育入学登记"),
        ],
        "science" => &[('Q', "科技成果登记"), ('W', "科学技术奖励推荐"), ('Q', "技术合同认定登记")],
        "police" => &[
            ('X', "公章刻制备案"),
            ('Q', "户口迁移登记"),
            ('Q', "出生登记"),
            ('G', "居民身份证办理"),
            ('X', "旅馆业特种行业许可"),
            ('G', "无犯罪记录证明"),
            ('X', "剧毒化学品购买许可"),
        ],
        "traffic" => &[
            ('X', "机动车登记"),
            ('X', "机动车驾驶证申领"),
            ('G', "机动车检验合格标志核发"),
            ('Q', "交通事故认定"),
            ('G', "驾驶证审验"),
        ],
        "exit" => &[('X', "普通护照签发"), ('X', "往来港澳通行证签发"), ('X', "往来台湾通行证签发")],
        "civil" => &[
            ('Q', "内地居民结婚登记"),
            ('Q', "内地居民离婚登记"),
            ('X', "社会团体成立登记"),
            ('J', "最低生活保障金给付"),
            ('Q', "收养登记"),
            ('J', "临时救助"),
        ],
        "justice" => &[('X', "律师执业许可"), ('X', "基层法律服务工作者执业核准"), ('G', "人民调解")],
        "finance" => &[('Q', "会计代理记账许可"), ('G', "政府采购供应商登记"), ('J', "惠民惠农补贴资金发放")],
        "social" => &[
            ('Q', "企业职工社会保险登记"),
            ('J', "失业保险金申领"),
            ('X', "人力资源服务许可"),
            ('J', "养老保险待遇核定"),
            ('G', "社会保险个人权益记录查询"),
            ('Q', "工伤认定"),
            ('G', "就业创业证申领"),
        ],
        "land" => &[
            ('X', "建设项目用地预审与选址意见书核发"),
            ('Q', "国有建设用地使用权首次登记"),
            ('Q', "不动产转移登记"),
            ('Q', "不动产抵押登记"),
            ('G', "不动产登记资料查询"),
            ('X', "建设用地规划许可证核发"),
        ],
        "environment" => &[('X', "建设项目环境影响评价文件审批"), ('X', "排污许可证核发"), ('X', "危险废物经营许可")],
        "construction" => &[
            ('X', "建筑工程施工许可证核发"),
            ('X', "建筑业企业资质核准"),
            ('Q', "建设工程竣工验收备案"),
            ('X', "商品房预售许可"),
            ('X', "燃气经营许可"),
        ],
        "transport" => &[
            ('X', "道路旅客运输经营许可"),
            ('X', "道路货物运输经营许可"),
            ('X', "机动车维修经营备案"),
            ('G', "道路运输从业人员从业资格证核发"),
            ('X', "出租汽车经营许可"),
        ],
        "water" => &[('X', "取水许可"), ('X', "河道管理范围内建设项目审批"), ('X', "生产建设项目水土保持方案审批")],
        "agriculture" => &[
            ('X', "农药经营许可"),
            ('X', "兽药经营许可"),
            ('X', "种子生产经营许可"),
            ('Q', "动物防疫条件合格证核发"),
            ('J', "农机购置补贴发放"),
        ],
        "commerce" => {
            &[('Q', "对外贸易经营者备案登记"), ('X', "单用途商业预付卡备案"), ('X', "成品油零售经营资格审批")]
        }
        "culture" => {
            &[('X', "娱乐场所经营许可"), ('X', "网吧经营许可"), ('X', "旅行社设立许可"), ('X', "营业性演出审批")]
        }
        "health" => &[
            ('X', "医疗机构执业登记"),
            ('X', "公共场所卫生许可"),
            ('X', "医师执业注册"),
            ('G', "出生医学证明签发"),
            ('X', "生活饮用水供水单位卫生许可"),
            ('J', "计划生育家庭特别扶助金发放"),
        ],
        "veterans" => &[('J', "退役士兵自主就业一次性经济补助"), ('Q', "伤残等级评定"), ('G', "优待证办理")],
        "safety" => {
            &[('X', "危险化学品经营许可"), ('X', "烟花爆竹经营（零售）许可"), ('Q', "生产安全事故应急预案备案")]
        }
        "audit" => &[('G', "审计结果公告查询"), ('T', "内部审计工作备案")],
        "market" => &[
            ('Q', "企业设立登记"),
            ('X', "食品经营许可"),
            ('X', "食品生产许可"),
            ('Q', "个体工商户登记"),
            ('X', "药品零售企业许可"),
            ('X', "特种设备使用登记"),
            ('Q', "农民专业合作社登记"),
        ],
        "statistics" => &[('G', "统计调查项目审批"), ('G', "统计资料查询")],
        "medical" => &[
            ('Q', "基本医疗保险参保登记"),
            ('J', "医疗费用零星报销"),
            ('Q', "门诊慢特病资格认定"),
            ('G', "医保关系转移接续"),
            ('Q', "异地就医备案"),
        ],
        "forestry" => &[('X', "林木采伐许可证核发"), ('X', "使用林地审核"), ('X', "野生动物驯养繁殖许可")],
        "civil-defence" => &[('X', "人防工程建设审批"), ('J', "防空地下室易地建设费征收")],
        "urban" => &[('X', "城市建筑垃圾处置核准"), ('X', "临时占用城市道路审批"), ('X', "户外广告设施设置审批")],
        "religion" => &[('X', "宗教活动场所设立审批"), ('Q', "清真食品准营证核发")],
        "weather" => &[('X', "防雷装置设计审核"), ('X', "防雷装置竣工验收"), ('X', "升放无人驾驶自由气球审批")],
        "earthquake" => &[('X', "建设工程地震安全性评价结果审定"), ('G', "地震安全性评价咨询")],
        "tobacco" => &[('X', "烟草专卖零售许可"), ('Q', "烟草专卖零售许可证变更")],
        "archives" => &[('G', "档案查阅利用"), ('G', "婚姻档案查询"), ('G', "知青档案查询")],
        "disabled" => &[('Q', "残疾人证核发"), ('J', "残疾人两项补贴发放"), ('G', "残疾人辅助器具适配")],
        "elderly" => &[('J', "高龄津贴发放"), ('G', "老年人优待证办理"), ('G', "居家养老服务申请")],
        "fire" => {
            &[('X', "建设工程消防设计审查"), ('X', "建设工程消防验收"), ('X', "公众聚集场所投入使用前消防安全检查")]
        }
        "postal" => &[('X', "快递业务经营许可"), ('Q', "快递末端网点备案")],
        "tax" => &[
            ('Q', "税务登记"),
            ('G', "发票领用"),
            ('T', "增值税一般纳税人登记"),
            ('G', "纳税申报"),
            ('G', "完税证明开具"),
            ('T', "税收减免备案"),
            ('G', "出口退税申报"),
        ],
        "rural" => &[('J', "脱贫人口小额信贷贴息"), ('G', "防返贫监测帮扶申请")],
        "community" => &[('G', "居住证明开具"), ('G', "便民服务代办"), ('G', "就业困难人员认定")],
        "power" => &[('G', "低压居民新装用电"), ('G', "高压新装用电"), ('G', "用电过户"), ('G', "电费缴纳")],
        "utility" => &[('G', "新装开户"), ('G', "过户"), ('G', "费用缴纳")],
        "housing-fund" => &[
            ('G', "住房公积金单位开户"),
            ('J', "住房公积金提取"),
            ('G', "住房公积金个人住房贷款"),
            ('G', "住房公积金缴存基数调整"),
        ],
        "property" => &[('Q', "商品房买卖合同网签备案"), ('Q', "存量房交易资金监管"), ('G', "房产交易信息查询")],
        "notary" => &[('G', "学历公证"), ('G', "继承公证"), ('G', "委托公证"), ('G', "亲属关系公证")],
        "legal-aid" => &[('J', "法律援助申请"), ('G', "法律咨询")],
        "trading" => &[('G', "工程建设项目招标投标交易"), ('G', "政府采购项目交易")],
        "talent" => &[('G', "人事档案接收"), ('G', "人事档案转递"), ('G', "流动人员档案查询")],
        "post" => &[('G', "政务文书寄递"), ('G', "证照快递送达")],
        "telecom" => &[('G', "固定电话装机"), ('G', "宽带新装"), ('G', "企业专线办理")],
        "bank" => &[('G', "企业基本存款账户开立"), ('G', "个人银行卡办理"), ('G', "社保卡金融功能激活")],
        other => panic!("no templates for {other}"),
    }
}

/// Variants that make one base matter into several catalogue entries.
fn variants(kind: char) -> &'static [&'static str] {
    match kind {
        'X' => &["新办", "变更", "延续", "注销", "补证", "换证", "迁移", "撤回"],
        'Q' => &["首次", "变更", "注销", "更正", "补发", "证明开具", "查询", "撤销"],
        'J' => &["申请", "变更", "停发", "恢复", "补发", "复核", "查询", "终止"],
        _ => &["办理", "变更", "注销", "查询", "咨询", "预约", "补办", "证明开具"],
    }
}

/// Legal basis by family, a plausible statute.
fn basis(family: &str) -> &'static str {
    match family {
        "invest" => "《企业投资项目核准和备案管理条例》；《政府投资条例》",
        "industry" => "《民用爆炸物品安全管理条例》；《中华人民共和国无线电管理条例》",
        "education" => "《中华人民共和国教育法》；《中华人民共和国民办教育促进法》；《教师资格条例》",
        "science" => "《中华人民共和国促进科技成果转化法》",
        "police" | "exit" => "《中华人民共和国户口登记条例》；《中华人民共和国居民身份证法》；《中华人民共和国护照法》",
        "traffic" => "《中华人民共和国道路交通安全法》；《机动车登记规定》",
        "civil" => "《婚姻登记条例》；《社会团体登记管理条例》；《社会救助暂行办法》",
        "justice" | "notary" | "legal-aid" => "《中华人民共和国律师法》；《中华人民共和国公证法》；《法律援助条例》",
        "finance" | "audit" | "statistics" => "《中华人民共和国会计法》；《中华人民共和国政府采购法》",
        "social" | "talent" => "《中华人民共和国社会保险法》；《工伤保险条例》；《失业保险条例》",
        "land" | "property" => "《不动产登记暂行条例》；《中华人民共和国土地管理法》；《中华人民共和国城乡规划法》",
        "environment" => "《中华人民共和国环境影响评价法》；《排污许可管理条例》",
        "construction" => "《中华人民共和国建筑法》；《建筑工程施工许可管理办法》；《城市房地产开发经营管理条例》",
        "transport" => "《中华人民共和国道路运输条例》",
        "water" => "《中华人民共和国水法》；《取水许可和水资源费征收管理条例》；《中华人民共和国水土保持法》",
        "agriculture" => "《农药管理条例》；《兽药管理条例》；《中华人民共和国种子法》；《中华人民共和国动物防疫法》",
        "commerce" => "《中华人民共和国对外贸易法》；《单用途商业预付卡管理办法（试行）》",
        "culture" => "《娱乐场所管理条例》；《旅行社条例》；《营业性演出管理条例》",
        "health" => "《医疗机构管理条例》；《公共场所卫生管理条例》；《中华人民共和国母婴保健法》",
        "veterans" => "《退役士兵安置条例》；《伤残抚恤管理办法》",
        "safety" => "《危险化学品安全管理条例》；《烟花爆竹安全管理条例》",
        "market" => {
            "《中华人民共和国市场主体登记管理条例》；《中华人民共和国食品安全法》；《中华人民共和国药品管理法》"
        }
        "medical" => "《中华人民共和国社会保险法》；《医疗保障基金使用监督管理条例》",
        "forestry" => "《中华人民共和国森林法》；《中华人民共和国野生动物保护法》",
        "civil-defence" => "《中华人民共和国人民防空法》",
        "urban" => "《城市市容和环境卫生管理条例》；《城市道路管理条例》",
        "religion" => "《宗教事务条例》",
        "weather" => "《气象灾害防御条例》；《防雷减灾管理办法》",
        "earthquake" => "《中华人民共和国防震减灾法》",
        "tobacco" => "《中华人民共和国烟草专卖法实施条例》",
        "archives" => "《中华人民共和国档案法》",
        "disabled" => "《中华人民共和国残疾人保障法》；《残疾人证管理办法》",
        "elderly" => "《中华人民共和国老年人权益保障法》",
        "fire" => "《中华人民共和国消防法》；《建设工程消防设计审查验收管理暂行规定》",
        "postal" | "post" => "《中华人民共和国邮政法》；《快递暂行条例》",
        "tax" => "《中华人民共和国税收征收管理法》；《中华人民共和国发票管理办法》",
        "rural" | "community" => "《甘肃省优化营商环境条例》；《甘肃省政务服务事项办事指南编制规范》",
        "power" | "utility" | "telecom" => "《电力供应与使用条例》；《城市供水条例》；《城镇燃气管理条例》",
        "housing-fund" => "《住房公积金管理条例》",
        "trading" => "《中华人民共和国招标投标法》；《中华人民共和国政府采购法》",
        "bank" => "《人民币银行结算账户管理办法》",
        _ => "《甘肃省政务服务事项办事指南编制规范》",
    }
}

/// A bundle: code, name, description, lead unit, its matters as (unit, base name).
type BundleDef = (&'static str, &'static str, &'static str, &'static str, Vec<(&'static str, &'static str)>);

/// A workflow step: key, name, kind, unit, role, limit, next keys (separated by blanks).
type StepRow = (&'static str, &'static str, &'static str, &'static str, &'static str, u32, &'static str);

/// A matter as written to `matters.csv`, with its materials and fees.
struct MatterRow {
    code: String,
    name: String,
    matter_type: &'static str,
    owner_unit: &'static str,
    basis: &'static str,
    description: String,
    statutory: u32,
    promised: u32,
    modes: Vec<&'static str>,
    cross_scope: &'static str,
    delivery: Vec<&'static str>,
    online: bool,
    materials: Vec<(String, bool, &'static str, Option<&'static str>, &'static str)>,
    fees: Vec<(&'static str, u32, &'static str)>,
}

struct Centre {
    code: &'static str,
    name: &'static str,
    area: &'static str,
    prefix: &'static str,
    level: &'static str,
    units: Vec<UnitDef>,
    matters_total: usize,
    staff_total: usize,
    agents: usize,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

fn csv_line(out: &mut String, fields: &[&str]) {
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push('\n');
}

/// Splits `total` over `weights` (largest remainders), each share at least `min`.
fn shares(total: usize, weights: &[usize], min: usize) -> Vec<usize> {
    let rest = total - min * weights.len();
    let sum: usize = weights.iter().sum();
    let mut out: Vec<usize> = weights.iter().map(|w| min + rest * w / sum).collect();
    let mut remainders: Vec<(usize, usize)> = weights.iter().enumerate().map(|(i, w)| (rest * w % sum, i)).collect();
    remainders.sort_by(|a, b| b.cmp(a));
    let missing = total - out.iter().sum::<usize>();
    for (_, i) in remainders.into_iter().take(missing) {
        out[i] += 1;
    }
    out
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾",
    "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪",
    "田", "任", "姜", "范", "方", "石", "姚", "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔", "白", "崔", "康", "毛",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
    "平", "刚", "桂英", "建华", "建国", "志强", "海燕", "晓东", "晓燕", "文静", "红梅", "国庆", "玉兰", "春梅", "立新",
    "永刚", "小龙", "雪梅", "亚军", "卫东", "宏伟", "瑞", "鹏", "婷", "欣", "博", "浩", "宁", "斌", "凯", "琳", "倩",
];

fn person(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pingliang");
    let mut rng = Rng(0x5EED_2018_1008_0001);

    let unit = |r: &Row, prefix: &str, kind: &'static str| UnitDef {
        code: r.0,
        name: if r.1.starts_with("国网")
            || r.1.starts_with("中国")
            || r.1.starts_with("甘肃")
            || r.1.starts_with("平凉")
        {
            r.1.to_owned()
        } else if r.5 == "tax" {
            format!("国家税务总局{prefix}{}", r.1)
        } else {
            format!("{prefix}{}", r.1)
        },
        letters: r.2,
        zone: r.3,
        weight: r.4,
        family: r.5,
        kind,
    };
    let mut city_units: Vec<UnitDef> = CITY_DEPARTMENTS.iter().map(|r| unit(r, "平凉市", "CITY_DEPARTMENT")).collect();
    city_units.extend(PUBLIC_SERVICE_BODIES.iter().map(|r| unit(r, "", "PUBLIC_SERVICE_BODY")));
    let district_units: Vec<UnitDef> =
        DISTRICT_DEPARTMENTS.iter().map(|r| unit(r, "平凉市崆峒区", "DISTRICT_DEPARTMENT")).collect();
    let centres = [
        Centre {
            code: "pingliang",
            name: "平凉市政务服务中心",
            area: "620800",
            prefix: "平凉市",
            level: "CITY",
            units: city_units,
            matters_total: 972,
            staff_total: 289,
            agents: 12,
        },
        Centre {
            code: "kongtong",
            name: "崆峒区政务服务中心",
            area: "620802",
            prefix: "崆峒区",
            level: "DISTRICT",
            units: district_units,
            matters_total: 915,
            staff_total: 275,
            agents: 12,
        },
    ];

    // Matters, per centre: (centre, unit code, zone, matter code, name).
    let mut all_matters: Vec<(usize, MatterRow, &'static str)> = Vec::new();
    for (ci, c) in centres.iter().enumerate() {
        let weights: Vec<usize> = c.units.iter().map(|u| u.weight).collect();
        let quotas = shares(c.matters_total, &weights, 3);
        for (u, quota) in c.units.iter().zip(quotas) {
            let bases = bases(u.family);
            let mut seq: BTreeMap<&str, u32> = BTreeMap::new();
            let mut made = 0;
            let mut round = 0;
            'fill: loop {
                for (kind, base) in bases {
                    if made == quota {
                        break 'fill;
                    }
                    let vs = variants(*kind);
                    let holder = ["", "（个人）", "（企业）", "（跨区域通办）"];
                    let variant = vs[round % vs.len()];
                    let suffix = holder[(round / vs.len()) % holder.len()];
                    let name = if u.kind == "PUBLIC_SERVICE_BODY" && u.family == "utility" {
                        let what = u.name.trim_start_matches("平凉市").trim_start_matches("甘肃省");
                        format!("{what}{base}（{variant}）{suffix}")
                    } else {
                        format!("{base}（{variant}）{suffix}")
                    };
                    let (type_code, matter_type) = match kind {
                        'X' => ("XK", "LICENCE"),
                        'Q' => ("QR", "CONFIRMATION"),
                        'J' => ("JF", "PAYMENT"),
                        'Z' => ("ZS", "LEVY"),
                        'C' => ("CJ", "RULING"),
                        'W' => ("JL", "AWARD"),
                        'G' => ("GG", "PUBLIC_SERVICE"),
                        _ => ("QT", "OTHER"),
                    };
                    let n = seq.entry(type_code).or_insert(0);
                    *n += 1;
                    let code = format!("{}00{}-{}-{:04}", c.area, u.letters, type_code, n);
                    all_matters.push((
                        ci,
                        make_matter(&mut rng, c, u, code, name, *kind, matter_type, variant),
                        u.zone,
                    ));
                    made += 1;
                }
                round += 1;
            }
        }
    }

    // ----- deployment.toml -----
    let mut d = String::new();
    d.push_str(
        "# The example deployment: Pingliang city and Kongtong district share one hall\n\
         # (市区一体、同址并窗、一号受理、一窗办理), at the scale of the seed report (2018).\n\
         # Generated by `cargo run -p onedoor-tenants-example --example generate`; a new city copies\n\
         # this directory and edits it by hand from then on (see the book: \"Run your centre\").\n\
         #\n\
         # Codes are the keys: an import creates what is missing and skips what exists, so the\n\
         # directory can be re-imported after any change (changes to existing items are not applied).\n\
         # Large tables are CSV: windows.csv here, and per centre centres/<code>/{units,staff,\n\
         # matters,materials,fees}.csv; centres/<code>.toml holds bundles and workflows.\n\n\
         # ----- centres (tenants); a child names its parent -----\n",
    );
    for c in &centres {
        let _ = write!(d, "\n[[centre]]\ncode = \"{}\"\nname = \"{}\"\nlevel = \"{}\"\n", c.code, c.name, c.level);
        if c.code == "kongtong" {
            d.push_str("parent = \"pingliang\"\n");
        }
    }
    d.push_str(
        "\n# ----- the shared hall, run by the city; the district is a member -----\n\n\
         [[hall]]\ncentre = \"pingliang\"\ncode = \"smzx\"\nname = \"平凉市民中心\"\n\
         address = \"甘肃省平凉市崆峒区鸿远大厦裙楼\"\nmembers = [\"kongtong\"]\n\n\
         # ----- the 20 functional zones (the zone code prefixes queue tickets); windows in windows.csv -----\n",
    );
    for (code, name, _) in ZONES {
        let _ = write!(d, "\n[[zone]]\nhall = \"smzx\"\ncode = \"{code}\"\nname = \"{name}\"\n");
    }
    d.push_str(
        "\n# ----- the 2018 working-day calendar (国办发明电〔2017〕12号), declared by the city and\n\
         # inherited by the district. Holidays are declared on weekdays only: the weekend days inside\n\
         # a holiday (Feb 17-18, Apr 7, Apr 29, Oct 6-7) are off anyway. -----\n\n\
         [[calendar]]\ncentre = \"pingliang\"\nholidays = [\n",
    );
    let holidays = [
        ("2018-01-01", "元旦"),
        ("2018-02-15", "春节"),
        ("2018-02-16", "春节"),
        ("2018-02-19", "春节"),
        ("2018-02-20", "春节"),
        ("2018-02-21", "春节"),
        ("2018-04-05", "清明节"),
        ("2018-04-06", "清明节"),
        ("2018-04-30", "劳动节"),
        ("2018-05-01", "劳动节"),
        ("2018-06-18", "端午节"),
        ("2018-09-24", "中秋节"),
        ("2018-10-01", "国庆节"),
        ("2018-10-02", "国庆节"),
        ("2018-10-03", "国庆节"),
        ("2018-10-04", "国庆节"),
        ("2018-10-05", "国庆节"),
    ];
    for (date, note) in holidays {
        let _ = writeln!(d, "    {{ date = \"{date}\", note = \"{note}\" }},");
    }
    d.push_str("]\nworkdays = [\n");
    for (date, note) in [
        ("2018-02-11", "春节调休"),
        ("2018-02-24", "春节调休"),
        ("2018-04-08", "清明节调休"),
        ("2018-04-28", "劳动节调休"),
        ("2018-09-29", "国庆节调休"),
        ("2018-09-30", "国庆节调休"),
    ] {
        let _ = writeln!(d, "    {{ date = \"{date}\", note = \"{note}\" }},");
    }
    d.push_str(
        "]\n\n# ----- local-rule plugins: components built from plugins/<name> with\n\
         # `onedoor plugin build`, installed and activated for their centre -----\n\n\
         [[plugin]]\ncentre = \"pingliang\"\nname = \"pingliang-rules\"\nfile = \"plugins/pingliang-rules.wasm\"\n\n\
         [[plugin]]\ncentre = \"kongtong\"\nname = \"kongtong-rules\"\nfile = \"plugins/kongtong-rules.wasm\"\n",
    );
    write(&dir.join("deployment.toml"), &d);

    // ----- windows.csv: each zone's windows share the zone's matters of both centres -----
    let mut w = String::new();
    csv_line(&mut w, &["hall", "zone", "number", "name", "matters"]);
    let investment: Vec<String> = all_matters
        .iter()
        .filter(|(_, m, z)| *z == "I" && m.matter_type == "LICENCE")
        .map(|(ci, m, _)| format!("{}:{}", centres[*ci].code, m.code))
        .collect();
    for (zone, zone_name, count) in ZONES {
        let served: Vec<String> = if zone == "P" {
            investment.clone()
        } else {
            all_matters
                .iter()
                .filter(|(_, _, z)| *z == zone)
                .map(|(ci, m, _)| format!("{}:{}", centres[*ci].code, m.code))
                .collect()
        };
        let short = zone_name.trim_end_matches("服务区").trim_end_matches("受理中心");
        for i in 0..count {
            let name = if i == 0 && !served.is_empty() {
                format!("{short}综合受理窗口")
            } else if served.is_empty() {
                format!("{short}服务台{:02}", i + 1)
            } else {
                format!("{short}受理窗口{:02}", i + 1)
            };
            let mine: Vec<&str> = if served.is_empty() {
                Vec::new()
            } else if i == 0 {
                // The comprehensive window serves a sample of every matter of the zone.
                served.iter().step_by(served.len().div_ceil(40).max(1)).map(String::as_str).collect()
            } else {
                served.iter().skip(i - 1).step_by(count.max(2) - 1).take(40).map(String::as_str).collect()
            };
            csv_line(&mut w, &["smzx", zone, &format!("{zone}{:02}", i + 1), &name, &mine.join(" ")]);
        }
    }
    write(&dir.join("windows.csv"), &w);

    for (ci, c) in centres.iter().enumerate() {
        let cdir = dir.join("centres").join(c.code);
        // units.csv
        let mut u = String::new();
        csv_line(&mut u, &["code", "name", "kind"]);
        for unit in &c.units {
            csv_line(&mut u, &[unit.code, &unit.name, unit.kind]);
        }
        write(&cdir.join("units.csv"), &u);

        // staff.csv: the centre's office (admin, supervisors), each unit's lead, clerks and
        // approvers (staff_total in all), and the guide and proxy agents apart.
        let mut s = String::new();
        csv_line(&mut s, &["code", "name", "unit", "roles"]);
        let office = [("admin", "ADMIN"), ("supervisor", "SUPERVISOR"), ("supervisor02", "SUPERVISOR")];
        for (code, role) in office {
            csv_line(&mut s, &[code, &person(&mut rng), "", role]);
        }
        let weights: Vec<usize> = c.units.iter().map(|u| u.weight).collect();
        let per_unit = shares(c.staff_total - office.len(), &weights, 2);
        for (unit, n) in c.units.iter().zip(per_unit) {
            for i in 0..n {
                let roles = match i {
                    0 => "UNIT_LEAD APPROVER",
                    i if i % 2 == 1 => "WINDOW_CLERK",
                    _ => "APPROVER",
                };
                csv_line(&mut s, &[&format!("{}{:02}", unit.code, i + 1), &person(&mut rng), unit.code, roles]);
            }
        }
        for i in 0..c.agents {
            csv_line(&mut s, &[&format!("guide{:02}", i + 1), &person(&mut rng), "", "GUIDE"]);
        }
        write(&cdir.join("staff.csv"), &s);

        // matters.csv, materials.csv, fees.csv
        let mut m = String::new();
        let mut mat = String::new();
        let mut fee = String::new();
        csv_line(
            &mut m,
            &[
                "code",
                "name",
                "matter_type",
                "owner_unit",
                "handling_level",
                "legal_basis",
                "description",
                "statutory_days",
                "promised_days",
                "modes",
                "max_visits",
                "cross_scope",
                "delivery",
                "online",
            ],
        );
        csv_line(&mut mat, &["matter", "name", "required", "form", "copies", "elicence_type", "note"]);
        csv_line(&mut fee, &["matter", "item", "amount", "basis"]);
        for (_, row, _) in all_matters.iter().filter(|(i, _, _)| *i == ci) {
            csv_line(
                &mut m,
                &[
                    &row.code,
                    &row.name,
                    row.matter_type,
                    row.owner_unit,
                    c.level,
                    row.basis,
                    &row.description,
                    &row.statutory.to_string(),
                    &row.promised.to_string(),
                    &row.modes.join(" "),
                    "1",
                    row.cross_scope,
                    &row.delivery.join(" "),
                    if row.online { "true" } else { "false" },
                ],
            );
            for (name, required, form, elicence, note) in &row.materials {
                let copies = if form.contains("COPY") { "1" } else { "" };
                csv_line(
                    &mut mat,
                    &[
                        &row.code,
                        name,
                        if *required { "true" } else { "false" },
                        form,
                        copies,
                        elicence.unwrap_or(""),
                        note,
                    ],
                );
            }
            for (item, amount, basis) in &row.fees {
                csv_line(&mut fee, &[&row.code, item, &amount.to_string(), basis]);
            }
        }
        write(&cdir.join("matters.csv"), &m);
        write(&cdir.join("materials.csv"), &mat);
        write(&cdir.join("fees.csv"), &fee);

        // centres/<code>.toml: bundles and workflows, by matter name.
        let find = |unit: &str, base: &str| -> String {
            all_matters
                .iter()
                .find(|(i, r, _)| *i == ci && r.owner_unit == unit && r.name.starts_with(base))
                .map(|(_, r, _)| r.code.clone())
                .unwrap_or_else(|| panic!("no matter {base} of {unit} in {}", c.code))
        };
        let mut t = format!(
            "# {}: bundles (\"one thing\") and workflows. Units, staff and matters are in\n\
             # centres/{}/*.csv. Generated by the example generator; edit by hand from then on.\n",
            c.name, c.code
        );
        let bundles: Vec<BundleDef> = if c.code == "pingliang" {
            vec![
                (
                    "tzxm",
                    "企业投资项目审批一件事",
                    "一表申请、一窗受理、并联审批：项目核准、用地预审与选址、环境影响评价、施工许可、消防设计审查和人防工程审批同时办理，发展改革委牵头。",
                    "fgw",
                    vec![
                        ("fgw", "企业投资项目核准"),
                        ("zrzy", "建设项目用地预审与选址意见书核发"),
                        ("sthj", "建设项目环境影响评价文件审批"),
                        ("zjj", "建筑工程施工许可证核发"),
                        ("xfzd", "建设工程消防设计审查"),
                        ("rfb", "人防工程建设审批"),
                    ],
                ),
                (
                    "qykb",
                    "企业开办一件事",
                    "企业设立登记、公章刻制、税务登记和发票领用、社会保险登记、公积金开户和银行开户一次办结。",
                    "scjg",
                    vec![
                        ("scjg", "企业设立登记"),
                        ("gaj", "公章刻制备案"),
                        ("swju", "税务登记"),
                        ("swju", "发票领用"),
                        ("rsj", "企业职工社会保险登记"),
                        ("gjj", "住房公积金单位开户"),
                        ("gsyh", "企业基本存款账户开立"),
                    ],
                ),
                (
                    "esfgh",
                    "二手房转移登记及水电气联动过户一件事",
                    "不动产转移登记与供电、供水、燃气过户一窗受理，不动产登记中心牵头。",
                    "bdczx",
                    vec![
                        ("bdczx", "不动产转移登记"),
                        ("gdgs", "用电过户"),
                        ("gszgs", "供水总公司过户"),
                        ("trqgs", "天然气有限责任公司过户"),
                    ],
                ),
            ]
        } else {
            vec![
                (
                    "kbqy",
                    "企业开办一件事",
                    "个体工商户和企业设立登记、公章刻制、税务登记、社会保险登记一次办结，市场监管局牵头。",
                    "scjg",
                    vec![
                        ("scjg", "企业设立登记"),
                        ("gafj", "公章刻制备案"),
                        ("swju", "税务登记"),
                        ("swju", "发票领用"),
                        ("rsj", "企业职工社会保险登记"),
                    ],
                ),
                (
                    "xsecs",
                    "新生儿出生一件事",
                    "出生医学证明、户口登记、医保参保登记一次申请，卫生健康局牵头。",
                    "wjj",
                    vec![("wjj", "出生医学证明签发"), ("gafj", "出生登记"), ("ybj", "基本医疗保险参保登记")],
                ),
                (
                    "cyky",
                    "开办餐馆一件事",
                    "营业执照、食品经营许可、公众聚集场所消防安全检查和户外广告设置一次办理。",
                    "scjg",
                    vec![
                        ("scjg", "个体工商户登记"),
                        ("scjg", "食品经营许可"),
                        ("xfdd", "公众聚集场所投入使用前消防安全检查"),
                        ("cgj", "户外广告设施设置审批"),
                    ],
                ),
            ]
        };
        for (code, name, description, lead, matters) in bundles {
            let codes: Vec<String> = matters.iter().map(|(u, b)| format!("\"{}\"", find(u, b))).collect();
            let _ = write!(
                t,
                "\n[[bundle]]\ncode = \"{code}\"\nname = \"{name}\"\ndescription = \"{description}\"\n\
                 lead_unit = \"{lead}\"\nmatters = [{}]\n",
                codes.join(", ")
            );
        }
        // Workflows: parallel approval for the investment matters, a plain chain elsewhere.
        let workflows: Vec<(String, Vec<StepRow>)> = if c.code == "pingliang" {
            vec![
                (
                    find("fgw", "企业投资项目核准"),
                    vec![
                        ("accept", "受理审查", "task", "fgw", "WINDOW_CLERK", 1, "split"),
                        ("split", "并联审批", "split", "", "APPROVER", 0, "land environment planning"),
                        ("land", "用地预审意见", "task", "zrzy", "APPROVER", 5, "join"),
                        ("environment", "环境影响评价意见", "task", "sthj", "APPROVER", 5, "join"),
                        ("planning", "规划设计意见", "task", "zjj", "APPROVER", 5, "join"),
                        ("join", "联合会审", "join", "", "APPROVER", 0, "decide"),
                        ("decide", "核准决定", "task", "fgw", "UNIT_LEAD", 2, ""),
                    ],
                ),
                (
                    find("zjj", "建筑工程施工许可证核发"),
                    vec![
                        ("split", "并联审查", "split", "", "APPROVER", 0, "construction fire civil-defence"),
                        ("construction", "施工条件审查", "task", "zjj", "APPROVER", 3, "join"),
                        ("fire", "消防设计审查意见", "task", "xfzd", "APPROVER", 3, "join"),
                        ("civil-defence", "人防设计审查意见", "task", "rfb", "APPROVER", 3, "join"),
                        ("join", "汇总", "join", "", "APPROVER", 0, "decide"),
                        ("decide", "发证决定", "task", "zjj", "UNIT_LEAD", 1, ""),
                    ],
                ),
                (
                    find("scjg", "食品生产许可"),
                    vec![
                        ("review", "材料审查", "task", "scjg", "APPROVER", 3, "inspect"),
                        ("inspect", "现场核查", "task", "scjg", "APPROVER", 5, "decide"),
                        ("decide", "许可决定", "task", "scjg", "UNIT_LEAD", 2, ""),
                    ],
                ),
            ]
        } else {
            vec![
                (
                    find("fgj", "企业投资项目核准"),
                    vec![
                        ("split", "并联审批", "split", "", "APPROVER", 0, "land environment"),
                        ("land", "用地意见", "task", "zrfj", "APPROVER", 5, "join"),
                        ("environment", "环评意见", "task", "hbfj", "APPROVER", 5, "join"),
                        ("join", "联合会审", "join", "", "APPROVER", 0, "decide"),
                        ("decide", "核准决定", "task", "fgj", "UNIT_LEAD", 2, ""),
                    ],
                ),
                (
                    find("scjg", "食品经营许可"),
                    vec![
                        ("review", "材料审查", "task", "scjg", "APPROVER", 2, "decide"),
                        ("decide", "许可决定", "task", "scjg", "UNIT_LEAD", 1, ""),
                    ],
                ),
            ]
        };
        for (matter, steps) in workflows {
            let _ = write!(t, "\n[[workflow]]\nmatter = \"{matter}\"\n");
            for (key, name, kind, unit, role, limit, next) in steps {
                let next: Vec<String> = next.split_whitespace().map(|n| format!("\"{n}\"")).collect();
                let _ = write!(
                    t,
                    "\n[[workflow.steps]]\nkey = \"{key}\"\nname = \"{name}\"\nkind = \"{kind}\"\n{}role = \"{role}\"\n\
                     limit = {limit}\nnext = [{}]\n",
                    if unit.is_empty() { String::new() } else { format!("unit = \"{unit}\"\n") },
                    next.join(", ")
                );
            }
        }
        write(&dir.join("centres").join(format!("{}.toml", c.code)), &t);
    }
    eprintln!("wrote {} matters into {}", all_matters.len(), dir.display());
}

/// One matter's guide, plausible for its unit and legal type.
#[allow(clippy::too_many_arguments)]
fn make_matter(
    rng: &mut Rng,
    c: &Centre,
    u: &UnitDef,
    code: String,
    name: String,
    kind: char,
    matter_type: &'static str,
    variant: &str,
) -> MatterRow {
    let quick = matches!(variant, "查询" | "咨询" | "预约" | "证明开具" | "补发" | "补办");
    // Statutory limits: licences 20 working days (Administrative Licensing Law, Art. 42), joint
    // handling 45 for the investment families, confirmations 15, payments 20, services 10.
    let statutory: u32 = match kind {
        _ if quick && kind != 'X' => 0,
        'X' if matches!(u.family, "invest" | "construction" | "environment" | "land") => 45,
        'X' => 20,
        'Q' => 15,
        'J' => 20,
        _ => 10,
    };
    // Licences promise half the statutory limit ("four reductions"); others vary.
    let promised = if statutory == 0 {
        0
    } else if kind == 'X' {
        statutory / 2
    } else {
        let options = [statutory / 2, statutory / 3, statutory / 4, 1, 3, 5];
        (*rng.pick(&options)).clamp(1, statutory)
    };
    let online = rng.chance(65) || statutory == 0;
    let mut modes = Vec::new();
    if promised == 0 {
        modes.push("IMMEDIATE");
    }
    if online {
        modes.push("ONLINE");
    }
    if c.level == "DISTRICT" && rng.chance(30) {
        modes.push("NEARBY");
    }
    modes.push("ONE_VISIT");
    let cross_scope = match rng.below(10) {
        0..=4 => "OWNER_ONLY",
        5..=8 => "CITY_WIDE",
        _ => "CROSS_REGION",
    };
    let mut delivery = vec!["PICKUP"];
    if rng.chance(60) {
        delivery.push("EXPRESS");
    }
    if online {
        delivery.push("ELECTRONIC");
    }
    let enterprise = matches!(
        u.family,
        "market" | "invest" | "construction" | "environment" | "transport" | "tax" | "commerce" | "safety" | "bank"
    ) || name.contains("企业");
    let mut materials: Vec<(String, bool, &'static str, Option<&'static str>, &'static str)> =
        vec![(format!("{}申请表", name.split('（').next().unwrap_or(&name)), true, "ORIGINAL", None, "")];
    if enterprise {
        materials.push(("营业执照".into(), true, "COPY", Some("business-licence"), "已在电子证照库中的，无需提交"));
        materials.push(("法定代表人身份证明".into(), true, "ORIGINAL_AND_COPY", Some("id-card"), ""));
    } else {
        materials.push(("申请人居民身份证".into(), true, "ORIGINAL_AND_COPY", Some("id-card"), "现场核验原件"));
    }
    match kind {
        'X' => {
            materials.push(("经营（活动）场所使用证明".into(), true, "COPY", None, "房屋产权证明或租赁合同"));
            materials.push(("相关专业技术人员资格证明".into(), rng.chance(50), "COPY", None, ""));
        }
        'Q' => materials.push(("相关事实证明材料".into(), true, "ORIGINAL", None, "")),
        'J' => materials.push(("本人银行账户信息".into(), true, "COPY", None, "社会保障卡或本人银行卡")),
        _ => {}
    }
    if variant == "变更" || variant == "延续" || variant == "换证" {
        materials.push(("原证件或批准文件".into(), true, "ORIGINAL", None, "已有电子证照的可免于提交"));
    }
    if rng.chance(20) {
        materials.push(("委托书及受托人身份证明".into(), false, "ORIGINAL", None, "委托他人或中介机构代办时提交"));
    }
    let mut fees = Vec::new();
    match u.family {
        "land" if kind == 'Q' => fees.push((
            "不动产登记费",
            8000,
            "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
        )),
        "police" if name.starts_with("居民身份证") => {
            fees.push(("居民身份证工本费", 2000, "《关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）"))
        }
        "exit" => fees.push(("证件工本费", 12000, "《国家发展改革委 财政部关于降低住房转让手续费受理商标注册费等部分行政事业性收费标准的通知》（发改价格〔2017〕1186号）")),
        "traffic" if name.starts_with("机动车登记") => {
            fees.push(("机动车号牌工本费", 10000, "《国家发展改革委 财政部关于公安部门收费标准的通知》"))
        }
        "notary" => fees.push(("公证费", 20000, "《甘肃省公证服务收费标准》")),
        _ => {}
    }
    let unit_name = &u.name;
    let description = format!(
        "{unit_name}在{}政务服务中心{}窗口受理“{name}”。符合条件的申请人通过一窗受理、网上申报或中介代办提交材料；\
         材料不全的一次性告知需补正的全部内容；承诺{promised}个工作日内办结（法定{statutory}个工作日）。",
        c.prefix,
        ZONES.iter().find(|z| z.0 == u.zone).map_or("综合", |z| z.1)
    );
    MatterRow {
        code,
        name,
        matter_type,
        owner_unit: u.code,
        basis: basis(u.family),
        description,
        statutory,
        promised,
        modes,
        cross_scope,
        delivery,
        online,
        materials,
        fees,
    }
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

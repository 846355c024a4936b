//! The demo's service catalogue (网上办事): 44 items of ten Harbin departments with complete
//! guides, application forms and review steps, written from what the seeds' 办事指南 lists, and a
//! few hundred generated applications in every state so the hall, the case lists, 办件公示 and
//! the statistics have data.

use std::collections::HashMap;

use platform::db::{Db, sql};
use platform::module::DemoSetup;

use crate::store::{self, Item};

/// (code, name, kind, department, audience, legal days, promised days, fee standard (empty: free),
/// themes, life events, visits, extra form fields as lines)
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static str,
);

const ITEMS: [Spec; 44] = [
    (
        "230100-SCJ-001",
        "企业设立登记",
        "行政许可",
        "scj",
        // The company does not exist yet: its investors (people or firms) apply.
        "both",
        15,
        1,
        "",
        "企业开办、市场准入",
        "创业",
        0,
        "company|企业名称|text|是||\ncapital|注册资本（万元）|number|是||\nscope|经营范围|textarea|是||\nform|企业类型|select|是|有限责任公司;股份有限公司;个人独资企业;合伙企业|",
    ),
    (
        "230100-SCJ-002",
        "企业变更登记",
        "行政许可",
        "scj",
        "org",
        15,
        2,
        "",
        "企业开办、市场准入",
        "经营",
        0,
        "change|变更事项|select|是|名称;住所;法定代表人;注册资本;经营范围|\ndetail|变更内容|textarea|是||",
    ),
    (
        "230100-SCJ-003",
        "企业注销登记",
        "行政许可",
        "scj",
        "org",
        15,
        3,
        "",
        "市场准入",
        "经营",
        0,
        "reason|注销原因|textarea|是||",
    ),
    (
        "230100-SCJ-004",
        "食品经营许可",
        "行政许可",
        "scj",
        "org",
        20,
        7,
        "",
        "市场准入、食品安全",
        "创业",
        1,
        "shop|经营场所|text|是||\nkind|经营项目|select|是|预包装食品销售;散装食品销售;热食类食品制售;冷食类食品制售|",
    ),
    (
        "230100-SCJ-005",
        "个体工商户登记",
        "行政许可",
        "scj",
        "person",
        15,
        1,
        "",
        "企业开办",
        "创业",
        0,
        "shop|字号名称|text|否||\nplace|经营场所|text|是||\nscope|经营范围|textarea|是||",
    ),
    (
        "230100-SCJ-006",
        "营业执照遗失补领、换发",
        "公共服务",
        "scj",
        "org",
        10,
        1,
        "",
        "企业开办、市场准入",
        "经营",
        0,
        "reason|补领或换发原因|select|是|遗失;损坏;登记事项变更后换发|\nnotice|遗失声明刊登情况|textarea|否||",
    ),
    (
        "230100-RSJ-001",
        "失业保险金申领",
        "行政给付",
        "rsj",
        "person",
        10,
        5,
        "",
        "社会保障、就业",
        "就业",
        0,
        "last|原工作单位|text|是||\nleave|离职日期|date|是||",
    ),
    ("230100-RSJ-002", "就业创业证申领", "公共服务", "rsj", "person", 5, 1, "", "就业", "就业", 0, ""),
    (
        "230100-RSJ-003",
        "职业技能等级证书查询核验",
        "公共服务",
        "rsj",
        "person",
        5,
        1,
        "",
        "就业、职业培训",
        "就业",
        0,
        "cert|证书编号|text|是||",
    ),
    (
        "230100-RSJ-004",
        "城镇职工基本养老保险待遇申领",
        "行政给付",
        "rsj",
        "person",
        20,
        10,
        "",
        "社会保障、养老",
        "退休",
        1,
        "retire|退休日期|date|是||",
    ),
    (
        "230100-RSJ-005",
        "创业担保贷款申请",
        "公共服务",
        "rsj",
        "both",
        20,
        15,
        "",
        "就业、创业扶持",
        "创业",
        1,
        "amount|申请金额（万元）|number|是||\nplan|创业项目简介|textarea|是||",
    ),
    (
        "230100-RSJ-006",
        "高校毕业生就业见习补贴",
        "行政给付",
        "rsj",
        "org",
        20,
        10,
        "",
        "就业",
        "就业",
        0,
        "count|见习人数|number|是||",
    ),
    (
        "230100-GAJ-001",
        "居民身份证换领",
        "公共服务",
        "gaj",
        "person",
        60,
        30,
        "20 元/证（工本费）",
        "户籍、证件办理",
        "出生",
        1,
        "reason|换领原因|select|是|有效期满;证件损坏;信息变更|",
    ),
    (
        "230100-GAJ-002",
        "新生儿入户",
        "行政确认",
        "gaj",
        "person",
        10,
        3,
        "",
        "户籍",
        "出生",
        0,
        "baby|新生儿姓名|text|是||\nbirth|出生日期|date|是||",
    ),
    (
        "230100-GAJ-003",
        "机动车驾驶证补领",
        "公共服务",
        "gaj",
        "person",
        10,
        1,
        "10 元/证（工本费）",
        "交通出行",
        "",
        0,
        "licence|驾驶证号码|text|是||",
    ),
    (
        "230100-GAJ-005",
        "普通护照签发",
        "行政许可",
        "gaj",
        "person",
        7,
        7,
        "120 元/本（护照工本费）",
        "出入境、证件办理",
        "就业",
        1,
        "purpose|出境事由|select|是|旅游;探亲;学习;商务;就业|\ndest|前往国家或地区|text|是||",
    ),
    (
        "230100-GAJ-004",
        "户口迁入（投靠）",
        "行政确认",
        "gaj",
        "person",
        20,
        10,
        "",
        "户籍",
        "婚育",
        1,
        "relation|投靠关系|select|是|夫妻投靠;子女投靠父母;父母投靠子女|",
    ),
    (
        "230100-ZJJ-001",
        "建筑工程施工许可",
        "行政许可",
        "zjj",
        "org",
        15,
        5,
        "",
        "工程建设",
        "",
        0,
        "project|工程名称|text|是||\nplace|工程地址|text|是||\narea|建筑面积（平方米）|number|是||",
    ),
    (
        "230100-ZJJ-002",
        "商品房预售许可",
        "行政许可",
        "zjj",
        "org",
        20,
        10,
        "",
        "工程建设、住房",
        "住房",
        1,
        "project|项目名称|text|是||",
    ),
    (
        "230100-ZJJ-003",
        "住房公积金提取（购房）",
        "公共服务",
        "zjj",
        "person",
        5,
        1,
        "",
        "住房",
        "住房",
        0,
        "house|购房地址|text|是||\namount|提取金额（元）|number|是||",
    ),
    (
        "230100-ZJJ-004",
        "公共租赁住房申请",
        "公共服务",
        "zjj",
        "person",
        30,
        20,
        "",
        "住房保障",
        "住房",
        1,
        "members|家庭人数|number|是||\nincome|家庭年收入（元）|number|是||",
    ),
    (
        "230100-WJW-001",
        "医师执业注册",
        "行政许可",
        "wjw",
        "person",
        20,
        5,
        "",
        "医疗卫生",
        "就业",
        0,
        "hospital|执业机构|text|是||\nscope|执业范围|select|是|内科;外科;妇产科;儿科;中医;口腔|",
    ),
    (
        "230100-WJW-002",
        "出生医学证明补发",
        "公共服务",
        "wjw",
        "person",
        20,
        5,
        "",
        "医疗卫生",
        "出生",
        1,
        "baby|新生儿姓名|text|是||",
    ),
    ("230100-WJW-003", "母婴保健技术服务执业许可", "行政许可", "wjw", "org", 20, 10, "", "医疗卫生", "婚育", 1, ""),
    ("230100-WJW-004", "生育登记", "公共服务", "wjw", "person", 5, 1, "", "婚育", "婚育", 0, "due|预产期|date|否||"),
    (
        "230100-JYJ-001",
        "民办学校设立审批",
        "行政许可",
        "jyj",
        "org",
        90,
        30,
        "",
        "教育",
        "上学",
        1,
        "school|学校名称|text|是||\nlevel|办学层次|select|是|学前教育;义务教育;高中阶段;培训机构|",
    ),
    (
        "230100-JYJ-002",
        "教师资格认定",
        "行政许可",
        "jyj",
        "person",
        60,
        20,
        "",
        "教育、职业资格",
        "就业",
        0,
        "level|资格种类|select|是|幼儿园;小学;初级中学;高级中学|\nsubject|任教学科|text|是||",
    ),
    (
        "230100-JYJ-003",
        "义务教育阶段转学",
        "公共服务",
        "jyj",
        "person",
        10,
        5,
        "",
        "教育",
        "上学",
        0,
        "from|原就读学校|text|是||\nto|拟转入学校|text|是||",
    ),
    (
        "230100-JYJ-004",
        "学生资助申请",
        "行政给付",
        "jyj",
        "person",
        20,
        10,
        "",
        "教育、社会救助",
        "上学",
        0,
        "school|就读学校|text|是||",
    ),
    (
        "230100-MZJ-001",
        "婚姻登记（结婚）",
        "行政确认",
        "mzj",
        "person",
        1,
        1,
        "9 元/对（证书工本费）",
        "婚育",
        "婚育",
        1,
        "date|预约登记日期|date|是||",
    ),
    (
        "230100-MZJ-002",
        "最低生活保障申请",
        "行政给付",
        "mzj",
        "person",
        30,
        20,
        "",
        "社会救助",
        "",
        0,
        "members|家庭人数|number|是||\nincome|家庭月收入（元）|number|是||",
    ),
    (
        "230100-MZJ-003",
        "养老机构备案",
        "其他行政权力",
        "mzj",
        "org",
        20,
        5,
        "",
        "养老服务",
        "退休",
        1,
        "beds|床位数|number|是||",
    ),
    (
        "230100-MZJ-004",
        "社会团体成立登记",
        "行政许可",
        "mzj",
        "org",
        60,
        30,
        "",
        "社会组织",
        "",
        1,
        "name|社团名称|text|是||",
    ),
    (
        "230100-MZJ-005",
        "殡葬补贴申领",
        "行政给付",
        "mzj",
        "person",
        20,
        5,
        "",
        "殡葬服务",
        "身后",
        0,
        "dead|逝者姓名|text|是||\ndate|死亡日期|date|是||",
    ),
    (
        "230100-KJJ-001",
        "高新技术企业认定申请",
        "行政确认",
        "kjj",
        "org",
        60,
        40,
        "",
        "科技创新、企业扶持",
        "经营",
        0,
        "field|技术领域|select|是|电子信息;生物与新医药;航空航天;新材料;高技术服务;新能源与节能;资源与环境;先进制造与自动化|\nrd|近三年研发费用（万元）|number|是||",
    ),
    (
        "230100-KJJ-002",
        "科技型中小企业评价入库",
        "公共服务",
        "kjj",
        "org",
        20,
        10,
        "",
        "科技创新",
        "经营",
        0,
        "staff|科技人员数|number|是||",
    ),
    (
        "230100-KJJ-003",
        "技术合同认定登记",
        "行政确认",
        "kjj",
        "org",
        10,
        3,
        "",
        "科技成果转化",
        "经营",
        0,
        "contract|合同名称|text|是||\namount|成交金额（万元）|number|是||",
    ),
    (
        "230100-KJJ-004",
        "市级科技计划项目申报",
        "公共服务",
        "kjj",
        "org",
        60,
        45,
        "",
        "科技创新、项目申报",
        "",
        0,
        "project|项目名称|text|是||\nbudget|申请经费（万元）|number|是||\nsummary|项目摘要|textarea|是||",
    ),
    (
        "230100-FGW-001",
        "企业投资项目备案",
        "其他行政权力",
        "fgw",
        "org",
        5,
        1,
        "",
        "投资建设",
        "经营",
        0,
        "project|项目名称|text|是||\ninvest|总投资（万元）|number|是||",
    ),
    (
        "230100-FGW-002",
        "企业投资项目核准",
        "行政许可",
        "fgw",
        "org",
        20,
        10,
        "",
        "投资建设",
        "经营",
        1,
        "project|项目名称|text|是||",
    ),
    (
        "230100-ZWZX-001",
        "政务服务“好差评”申诉",
        "公共服务",
        "zwzx",
        "both",
        10,
        5,
        "",
        "政务服务",
        "",
        0,
        "case|原办件编号|text|是||\nreason|申诉理由|textarea|是||",
    ),
    (
        "230100-ZWZX-002",
        "帮办代办服务预约",
        "公共服务",
        "zwzx",
        "both",
        3,
        1,
        "",
        "政务服务、企业开办",
        "创业",
        0,
        "matter|需帮办事项|text|是||\ndate|预约日期|date|是||",
    ),
    (
        "230102-DLQ-001",
        "道里区临时救助申请",
        "行政给付",
        "dlq",
        "person",
        20,
        5,
        "",
        "社会救助",
        "",
        0,
        "reason|困难情况|textarea|是||",
    ),
    (
        "230102-DLQ-002",
        "道里区户外广告设置审批",
        "行政许可",
        "dlq",
        "org",
        20,
        10,
        "",
        "城市管理",
        "经营",
        1,
        "place|设置地点|text|是||\nsize|面积（平方米）|number|是||",
    ),
];

/// Items whose materials are their own (the rest get the generic list: identity, the application
/// form, proof of conditions).
fn own_materials(code: &str, blank: &str, example: &str) -> Option<Vec<String>> {
    let lines: &[&str] = match code {
        "230100-SCJ-001" => &[
            "公司登记（备案）申请书|原件|1|是|申请人自备|由全体股东或指定代表签署",
            "公司章程|原件|1|是|申请人自备|全体股东签字（盖章）",
            "股东的主体资格证明或自然人身份证件|复印件|1|是|申请人自备|法人股东提供营业执照复印件",
            "法定代表人、董事、监事和经理的任职文件|原件|1|是|申请人自备|股东会决议或任命书",
            "住所使用证明|复印件|1|是|申请人自备|房屋产权证明或租赁协议",
            "指定代表或委托代理人的身份证件及授权委托书|原件|1|否|申请人自备|委托他人办理的提供",
        ],
        "230100-SCJ-004" => &[
            "营业执照|复印件|1|是|市场监管部门核发|",
            "与食品经营相适应的主要设备设施布局、操作流程等文件|原件|1|是|申请人自备|",
            "食品安全管理制度|原件|1|是|申请人自备|",
            "食品安全管理人员培训考核合格证明|复印件|1|否|申请人自备|",
        ],
        "230100-GAJ-002" => &[
            "出生医学证明|原件|1|是|医疗机构签发|",
            "父母双方的居民户口簿|原件|1|是|公安机关核发|",
            "父母双方的居民身份证|复印件|1|是|公安机关核发|",
            "结婚证|复印件|1|否|民政部门核发|非婚生育的无需提供",
        ],
        "230100-RSJ-001" => &[
            "居民身份证|复印件|1|是|公安机关核发|",
            "解除或者终止劳动关系的证明|原件|1|是|原用人单位出具|",
            "社会保障卡或本人银行卡|复印件|1|否|申请人自备|用于发放失业保险金",
        ],
        _ => return None,
    };
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    // Each has its application form, downloadable as a blank sheet and as a filled example.
    if code != "230100-SCJ-001" {
        out.insert(0, format!("申请表|原件|1|是|申请人自备|可下载空白表格填写后签字拍照上传|{blank}|{example}"));
    } else {
        out[0] = format!("{}|{blank}|{example}", out[0]);
    }
    Some(out)
}

fn agency_place(dept: &str) -> (&'static str, &'static str) {
    match dept {
        "dlq" => ("道里区政务服务中心（道里区经纬街 99 号）一楼综合窗口", "0451-84616789"),
        "gaj" => ("各区公安分局户政服务大厅，或市政务服务中心公安窗口", "0451-12345"),
        _ => ("哈尔滨市政务服务中心（松北区世纪大道 1 号）二楼综合受理窗口", "0451-12345"),
    }
}

fn basis(kind: &str, dept: &str) -> &'static str {
    match (kind, dept) {
        (_, "scj") => {
            "《中华人民共和国市场主体登记管理条例》（国务院令第 746 号）\n《中华人民共和国市场主体登记管理条例实施细则》"
        }
        (_, "rsj") => "《中华人民共和国社会保险法》\n《失业保险条例》（国务院令第 258 号）",
        (_, "gaj") => "《中华人民共和国居民身份证法》\n《中华人民共和国户口登记条例》",
        (_, "zjj") => "《中华人民共和国建筑法》\n《住房公积金管理条例》",
        (_, "wjw") => "《中华人民共和国医师法》\n《中华人民共和国母婴保健法》",
        (_, "jyj") => "《中华人民共和国教师法》\n《中华人民共和国民办教育促进法》",
        (_, "mzj") => "《婚姻登记条例》\n《社会救助暂行办法》（国务院令第 649 号）",
        (_, "kjj") => "《高新技术企业认定管理办法》（国科发火〔2016〕32号）\n《技术合同认定登记管理办法》",
        (_, "fgw") => "《企业投资项目核准和备案管理条例》（国务院令第 673 号）",
        ("行政许可", _) => "《中华人民共和国行政许可法》",
        _ => "《优化营商环境条例》（国务院令第 722 号）",
    }
}

/// Loads the catalogue when there are no items yet, then `applications` generated cases.
pub async fn load(demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let (db, orgs, applications) = (&demo.db, &demo.orgs, demo.size("applications"));
    if db.count(sql("SELECT COUNT(*) FROM service_item")).await? > 0 {
        return Ok(Vec::new());
    }
    let mut ids = Vec::new();
    for (code, name, kind, dept, audience, legal, promised, fee, themes, events, visits, form) in ITEMS {
        let (place, phone) = agency_place(dept);
        let blank = format!("/banshi/items/{code}/blank");
        let example = format!("{blank}?example=1");
        let mut materials = vec![
            if audience == "org" {
                "营业执照或统一社会信用代码证书|复印件|1|是|申请人自备|加盖单位公章"
            } else {
                "居民身份证|原件和复印件|1|是|公安机关核发|"
            }
            .to_owned(),
        ];
        materials.push(format!("{name}申请表|原件|1|是|申请人自备|可下载空白表格填写后签字拍照上传|{blank}|{example}"));
        if kind == "行政许可" {
            materials.push("相关场所、设施或人员符合条件的证明材料|复印件|1|是|申请人自备|".to_owned());
        }
        if audience != "person" {
            materials.push("法定代表人身份证明及授权委托书|原件|1|否|申请人自备|委托他人办理的提供".to_owned());
        }
        if let Some(own) = own_materials(code, &blank, &example) {
            materials = own;
        }
        let item = crate::service::ItemForm {
            code: code.into(),
            name: name.into(),
            kind: kind.into(),
            org_code: String::new(),
            basis: basis(kind, dept).into(),
            conditions: format!(
                "符合法律法规规定的{}均可申请；申请材料齐全、符合法定形式。",
                if audience == "org" {
                    "法人或其他组织"
                } else if audience == "person" {
                    "自然人"
                } else {
                    "自然人、法人或其他组织"
                }
            ),
            audience: audience.into(),
            materials: materials.join("\n"),
            notes: "全程网办事项无需到现场；需要现场核验的，受理后工作人员将电话告知。补正材料期间不计入办理时限。"
                .into(),
            steps: "网上申请\n窗口预审\n受理\n审查\n作出决定\n办结送达".into(),
            legal_days: legal.to_string(),
            promised_days: promised.to_string(),
            fee: (!fee.is_empty()).then(|| "on".into()),
            fee_basis: if fee.is_empty() {
                String::new()
            } else {
                "国家发展改革委、财政部有关收费标准文件".into()
            },
            fee_standard: fee.into(),
            place: place.into(),
            hours: "工作日 上午 9:00—12:00，下午 13:30—17:00（法定节假日除外）".into(),
            visits: visits.to_string(),
            online_depth: if visits == 0 { "4".into() } else { "3".into() },
            consult_phone: phone.into(),
            complaint_phone: "0451-12345".into(),
            faq: format!(
                "办理{name}需要本人到现场吗？|{}\n多久能办好？|自受理之日起 {promised} 个工作日内办结，补正材料期间不计时。",
                if visits == 0 {
                    "不需要，可全程网上办理，结果可邮寄送达。"
                } else {
                    "需到现场核验一次，其余环节网上办理。"
                }
            ),
            themes: themes.into(),
            life_events: events.into(),
            form: if form.is_empty() { "reason|申请事由|textarea|是||".into() } else { form.into() },
            review_steps: if kind == "行政许可" { "受理审查\n审核\n审批".into() } else { "审核".into() },
            online: Some("on".into()),
            published: Some("on".into()),
            ..Default::default()
        };
        let org_id = orgs.get(dept).copied().ok_or_else(|| anyhow::anyhow!("demo org {dept}"))?;
        let all_orgs = platform::accounts::list_orgs(db).await?;
        let mut checked = crate::service::ItemForm {
            org_code: all_orgs.iter().find(|o| o.id == org_id).map(|o| o.code.clone()).unwrap_or_default(),
            ..item
        };
        checked.impl_code = format!("{code}-01");
        let it: Item =
            crate::service::check_item(&checked, &all_orgs).map_err(|e| anyhow::anyhow!("demo item {name}: {e:?}"))?;
        ids.push(store::save_item(db, &it, "demo").await?);
    }
    generate_applications(db, &ids, applications).await?;
    let notices = demo_fees(db).await?;
    if let Some(gaj) = demo.org("gaj") {
        demo.grant("handler_gaj", platform::roles::Role::Handler, platform::roles::ScopeKind::Org, gaj).await?;
    }
    demo_call(db, orgs).await?;
    Ok(vec![format!(
        "网上办事：{} 个事项，{applications} 件演示办件（/banshi/），{notices} 份缴款通知书（/admin/services/fees）。",
        ids.len()
    )])
}

/// The fee standards of the items that charge (the number in their 收费标准 text, e.g. 20 元/证
/// （工本费）), and notices on some of their applications: paid on completed ones, waiting on
/// approved ones. Returns how many notices.
async fn demo_fees(db: &Db) -> anyhow::Result<usize> {
    use platform::db::{Exec, Scalar};
    #[derive(sqlx::FromRow)]
    struct Charging {
        id: i64,
        fee_standard: String,
        fee_basis: String,
    }
    let items: Vec<Charging> = db
        .fetch_all(sql("SELECT id, fee_standard, fee_basis FROM service_item WHERE fee_standard <> '' ORDER BY id"))
        .await?;
    let mut n = 0;
    // Two 居民身份证换领 decided and waiting at the window for their fee.
    if let Some(first) = items.first() {
        db.execute(
            sql("UPDATE application SET state = 'approved', completed_at = NULL, workdays = NULL, on_time = NULL, rating = NULL \
                 WHERE id IN (SELECT id FROM application WHERE item_id = $1 AND state = 'completed' ORDER BY id DESC LIMIT 2)")
            .bind(first.id),
        )
        .await?;
        store::rebuild_tally(db).await?;
    }
    for it in &items {
        let amount = it.fee_standard.split_whitespace().next().and_then(crate::fees::domain::parse_yuan).unwrap_or(0);
        let name = it.fee_standard.split_once('（').map_or("工本费", |(_, r)| r.trim_end_matches('）'));
        if amount == 0 {
            continue;
        }
        db.execute(
            sql("INSERT INTO service_fee (item_id, name, amount, basis, sort_order) VALUES ($1, $2, $3, $4, 0)")
                .bind(it.id)
                .bind(name)
                .bind(amount)
                .bind(&it.fee_basis),
        )
        .await?;
        #[derive(sqlx::FromRow)]
        struct App {
            id: i64,
            org_id: i64,
            state: String,
            completed_at: Option<i64>,
        }
        let apps: Vec<App> = db
            .fetch_all(
                sql("SELECT id, org_id, state, completed_at FROM application \
                     WHERE item_id = $1 AND state IN ('approved', 'completed') ORDER BY id DESC LIMIT 3")
                .bind(it.id),
            )
            .await?;
        for a in apps {
            let paid = a.state == "completed";
            // Paid ones an hour before completion; waiting ones yesterday.
            let issued = a.completed_at.map_or(platform::db::now() - 86_400, |c| c - 3600);
            let mut tx = db.begin().await?;
            let id = tx
                .fetch_one::<Scalar<i64>>(
                    sql("INSERT INTO fee_notice (no, application_id, item_id, org_id, payment_code, total, state, provider, method, receipt_no, \
                         issued_by, issued_at, paid_by, paid_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '窗口工作人员', $10, $11, $12, $10) RETURNING id")
                    .bind(platform::intake::temporary_number())
                    .bind(a.id)
                    .bind(it.id)
                    .bind(a.org_id)
                    .bind(platform::intake::temporary_number())
                    .bind(amount)
                    .bind(if paid { "paid" } else { "unpaid" })
                    .bind(if paid { "cashier" } else { "" })
                    .bind(if paid { "qr" } else { "" })
                    .bind(issued)
                    .bind(if paid { "收费窗口" } else { "" })
                    .bind(paid.then_some(issued + 1800)),
                )
                .await?
                .0;
            let no = platform::intake::assign_number(&mut tx, "fee_notice", id, "JK", 8).await?;
            let code = crate::fees::domain::payment_code(&platform::fmt_date(issued).replace('-', ""), id);
            let receipt = if paid { format!("SJ{}", &no[2..]) } else { String::new() };
            tx.execute(
                sql("UPDATE fee_notice SET payment_code = $1, receipt_no = $2 WHERE id = $3")
                    .bind(code)
                    .bind(receipt)
                    .bind(id),
            )
            .await?;
            tx.execute(
                sql("INSERT INTO fee_notice_line (notice_id, name, amount, basis) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(name)
                    .bind(amount)
                    .bind(&it.fee_basis),
            )
            .await?;
            let issue = platform::workflow::Transition {
                action: "issue",
                from: "",
                to: "unpaid",
                step: 0,
                actor: "窗口工作人员",
                actor_id: None,
                comment: "",
            };
            platform::workflow::record(&mut tx, &crate::fees::FLOW, id, &issue, issued).await?;
            if paid {
                let t = platform::workflow::Transition {
                    action: "pay",
                    from: "unpaid",
                    to: "paid",
                    actor: "收费窗口",
                    ..issue
                };
                platform::workflow::record(&mut tx, &crate::fees::FLOW, id, &t, issued + 1800).await?;
            }
            tx.commit().await?;
            n += 1;
        }
    }
    Ok(n)
}

/// An open science-bureau call (科技计划项目申报) and two experts in the pool.
async fn demo_call(db: &Db, orgs: &HashMap<&'static str, i64>) -> anyhow::Result<()> {
    let Some(kjj) = orgs.get("kjj") else { return Ok(()) };
    let today = platform::calendar::today();
    let sheet = crate::domain::parse_sheet("创新性|40\n可行性|30\n预期效益|30").map_err(|e| anyhow::anyhow!(e))?;
    db.execute(
        sql("INSERT INTO project_call (title, org_id, guide, opens_on, closes_on, score_sheet, state, publicity_days, created_at) VALUES ($1,$2,$3,$4,$5,$6,'open',5,$7)")
            .bind("2027年度哈尔滨市科技计划项目申报")
            .bind(*kjj)
            .bind("重点支持人工智能、寒地生物、冰雪装备、新材料等领域的应用研究和成果转化项目。\n申报单位须为在哈尔滨市注册的企业、高校或科研院所，项目实施期一般为两年。\n每个单位限报 3 项，申请市级经费一般不超过 100 万元。")
            .bind(platform::calendar::date_text(today - time::Duration::days(5)))
            .bind(platform::calendar::date_text(today + time::Duration::days(25)))
            .bind(serde_json::to_string(&sheet)?)
            .bind(platform::db::now()),
    )
    .await?;
    for (username, name, org, field) in
        [("leader", "陈局长", "哈尔滨市科学技术局", "科技管理"), ("handler", "刘洋", "哈尔滨工业大学", "人工智能")]
    {
        if let Some(u) = platform::accounts::user_by_name(db, username).await? {
            db.execute(
                sql("INSERT INTO expert (user_id, name, org_name, field) VALUES ($1,$2,$3,$4)")
                    .bind(u.id)
                    .bind(name)
                    .bind(org)
                    .bind(field),
            )
            .await?;
        }
    }
    Ok(())
}

/// Generated cases over the past half year for the demo's hall, lists and statistics.
async fn generate_applications(db: &Db, item_ids: &[i64], n: u32) -> anyhow::Result<()> {
    let items: Vec<Item> = store::items(db, false).await?.into_iter().filter(|i| item_ids.contains(&i.id)).collect();
    let now = platform::db::now();
    let spec = crate::generate::Spec { count: n as usize, seed: 20_261_201, from: now - 180 * 86_400, to: now - 3600 };
    crate::generate::applications(db, &items, &spec).await?;
    Ok(())
}

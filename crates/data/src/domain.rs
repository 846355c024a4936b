//! Pure rules and code tables of 信息资源共享: GB/T 4754-2017 industry sections, the GB/T 2260
//! county-level codes of the demo city, the national open-data themes, update frequencies, licences
//! and open conditions, dataset names, run states. No I/O.

/// GB/T 4754-2017 国民经济行业分类, the 20 门类.
pub const INDUSTRIES: [(&str, &str); 20] = [
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
];

/// GB/T 2260 county-level divisions of 哈尔滨市 (the demo city); a deployment edits this list.
pub const AREAS: [(&str, &str); 18] = [
    ("230102", "道里区"),
    ("230103", "南岗区"),
    ("230104", "道外区"),
    ("230108", "平房区"),
    ("230109", "松北区"),
    ("230110", "香坊区"),
    ("230111", "呼兰区"),
    ("230112", "阿城区"),
    ("230113", "双城区"),
    ("230123", "依兰县"),
    ("230124", "方正县"),
    ("230125", "宾县"),
    ("230126", "巴彦县"),
    ("230127", "木兰县"),
    ("230128", "通河县"),
    ("230129", "延寿县"),
    ("230183", "尚志市"),
    ("230184", "五常市"),
];

/// 地图兴趣点的类别 (the map's categories and the colour each is drawn in — dark enough for white
/// text and distinct for the common forms of colour blindness).
pub const POI_CATEGORIES: [(&str, &str); 9] = [
    ("banshi", "办事大厅"),
    ("xuexiao", "学校"),
    ("yiyuan", "医院"),
    ("jingdian", "景点"),
    ("bianmin", "便民服务"),
    ("gongyuan", "公园广场"),
    ("jiaotong", "交通枢纽"),
    ("wenti", "文化体育"),
    ("yanglao", "养老服务"),
];

/// The colour of each category on the map, in [`POI_CATEGORIES`] order.
pub const POI_COLOURS: [&str; 9] =
    ["#1d4f91", "#8a4b08", "#b3261e", "#6a3d9a", "#00695c", "#2e6b1f", "#4a4a4a", "#a0306a", "#5d4037"];

/// 登记状态 as the registration authority writes it.
pub const STATUSES: [(&str, &str); 5] =
    [("存续", "存续（在营、开业、在册）"), ("在业", "在业"), ("迁出", "迁出"), ("吊销", "吊销"), ("注销", "注销")];

/// 企业类型 (the common classes of the registration authority's export).
pub const KINDS: [(&str, &str); 6] = [
    ("有限责任公司", "有限责任公司"),
    ("股份有限公司", "股份有限公司"),
    ("个人独资企业", "个人独资企业"),
    ("合伙企业", "合伙企业"),
    ("农民专业合作社", "农民专业合作社"),
    ("外商投资企业", "外商投资企业"),
];

/// Open-data themes (the national 公共数据开放 classification the provincial platforms use).
pub const THEMES: [&str; 16] = [
    "经济建设",
    "信用服务",
    "财税金融",
    "交通运输",
    "资源能源",
    "生态环境",
    "城建住房",
    "教育文化",
    "医疗卫生",
    "社保就业",
    "公共安全",
    "农业农村",
    "社会救助",
    "市场监管",
    "机构团体",
    "气象服务",
];

/// 更新频率: (label, DCAT frequency URI suffix of the EU vocabulary).
pub const FREQUENCIES: [(&str, &str); 8] = [
    ("实时", "CONT"),
    ("每日", "DAILY"),
    ("每周两次", "WEEKLY_2"),
    ("每周", "WEEKLY"),
    ("每月", "MONTHLY"),
    ("每季度", "QUARTERLY"),
    ("每年", "ANNUAL"),
    ("不定期", "IRREG"),
];

/// Licences: (CKAN licence id, title, URL).
pub const LICENCES: [(&str, &str, &str); 3] = [
    ("cc-by-4.0", "知识共享署名 4.0（CC BY 4.0）", "https://creativecommons.org/licenses/by/4.0/"),
    ("cc-zero", "知识共享零（CC0 1.0）", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("gov-open", "政府数据开放许可（署名、不得歪曲）", ""),
];

/// 开放属性.
pub const OPEN_CONDITIONS: [&str; 2] = ["无条件开放", "有条件开放"];

/// The label of a code in one of the tables above ("" for an unknown code).
pub fn label<'a>(table: &[(&'a str, &'a str)], code: &str) -> &'a str {
    table.iter().find(|(c, _)| *c == code).map_or("", |(_, l)| l)
}

/// A dataset name (its address and its CKAN name): 2–100 characters of lower-case letters, digits,
/// `-` and `_`, as CKAN requires, so harvesters accept it.
pub fn check_dataset_name(name: &str) -> Result<(), &'static str> {
    if !(2..=100).contains(&name.len()) {
        return Err("数据集标识长度应为 2–100 个字符");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        return Err("数据集标识只能使用小写英文字母、数字、“-”和“_”");
    }
    Ok(())
}

/// States of an import run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    Done,
    Failed,
    /// The process stopped while it ran; its transaction rolled back, nothing of the file was written.
    Interrupted,
}

impl RunState {
    pub const ALL: [RunState; 4] = [RunState::Running, RunState::Done, RunState::Failed, RunState::Interrupted];

    pub fn code(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunState::Running => "进行中",
            RunState::Done => "已完成",
            RunState::Failed => "失败（未写入）",
            RunState::Interrupted => "中断（已回滚，未写入）",
        }
    }

    pub fn parse(code: &str) -> Option<RunState> {
        RunState::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Dataset states.
pub const DATASET_STATES: [(&str, &str); 3] = [("draft", "草稿"), ("published", "已开放"), ("withdrawn", "已撤回")];

/// When a schedule is due: `days` are weekdays 1–7 (Monday = 1), `time` is HH:MM; due in the minute
/// of `time` on one of the days. Returns `None` for a malformed schedule.
pub fn schedule_due(days: &str, time: &str, weekday: u8, hour: u8, minute: u8) -> Option<bool> {
    let (h, m) = parse_hhmm(time)?;
    let mut any = false;
    for d in days.split([',', '，', ' ']).filter(|d| !d.is_empty()) {
        let d: u8 = d.parse().ok().filter(|d| (1..=7).contains(d))?;
        any |= d == weekday;
    }
    Some(any && h == hour && m == minute)
}

/// `HH:MM` (24-hour).
pub fn parse_hhmm(s: &str) -> Option<(u8, u8)> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.trim().len() == 5).then_some((h, m))
}

/// Checks a schedule as typed (`1,4` and `02:00`); both empty means no schedule.
pub fn check_schedule(days: &str, time: &str) -> Result<(), &'static str> {
    if days.trim().is_empty() && time.trim().is_empty() {
        return Ok(());
    }
    if days.trim().is_empty() {
        return Err("请填写运行的星期（1–7，用逗号分隔，如 1,4 表示周一和周四）");
    }
    if parse_hhmm(time).is_none() {
        return Err("运行时间应为 24 小时制的“时:分”，如 02:00");
    }
    schedule_due(days, time, 1, 0, 0).map(|_| ()).ok_or("运行的星期只能是 1–7 的数字，用逗号分隔")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_names_follow_ckan() {
        assert!(check_dataset_name("qiye-minglu_2026").is_ok());
        assert!(check_dataset_name("a").is_err());
        assert!(check_dataset_name("Qiye").is_err());
        assert!(check_dataset_name("企业名录").is_err());
        assert!(check_dataset_name(&"a".repeat(101)).is_err());
    }

    #[test]
    fn schedules() {
        // Monday and Thursday at 02:00.
        assert_eq!(schedule_due("1,4", "02:00", 1, 2, 0), Some(true));
        assert_eq!(schedule_due("1,4", "02:00", 4, 2, 0), Some(true));
        assert_eq!(schedule_due("1,4", "02:00", 2, 2, 0), Some(false));
        assert_eq!(schedule_due("1,4", "02:00", 1, 2, 1), Some(false));
        assert_eq!(schedule_due("1，4", "02:00", 4, 2, 0), Some(true));
        assert_eq!(schedule_due("8", "02:00", 1, 2, 0), None);
        assert_eq!(schedule_due("1", "2:00", 1, 2, 0), None);
        assert_eq!(schedule_due("1", "24:00", 1, 0, 0), None);
        assert!(check_schedule("", "").is_ok());
        assert!(check_schedule("1,4", "02:00").is_ok());
        assert!(check_schedule("", "02:00").is_err());
        assert!(check_schedule("1,9", "02:00").is_err());
        assert!(check_schedule("1", "2点").is_err());
    }

    #[test]
    fn run_states_round_trip() {
        for s in RunState::ALL {
            assert_eq!(RunState::parse(s.code()), Some(s));
            assert!(!s.label().is_empty());
        }
        assert_eq!(RunState::parse("x"), None);
    }

    #[test]
    fn labels() {
        assert_eq!(label(&INDUSTRIES, "C"), "制造业");
        assert_eq!(label(&AREAS, "230102"), "道里区");
        assert_eq!(label(&AREAS, "999999"), "");
    }
}

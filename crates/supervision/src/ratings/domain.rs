//! The rules of the 机关效能评价窗口, without I/O: the three verdicts, what a rating must carry (a
//! verdict; a reason when 不满意; at most 300 characters), the month a rating counts in (Beijing
//! time, one rating per browser per staff member per month), what a staff record must carry, and
//! the satisfaction rate the statistics show.

use std::collections::BTreeMap;

/// A citizen's verdict on a staff member's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    Satisfied,
    Basic,
    Unsatisfied,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Satisfied, Verdict::Basic, Verdict::Unsatisfied];

    /// The stored number (1, 2, 3).
    pub fn code(self) -> i64 {
        match self {
            Verdict::Satisfied => 1,
            Verdict::Basic => 2,
            Verdict::Unsatisfied => 3,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Satisfied => "满意",
            Verdict::Basic => "基本满意",
            Verdict::Unsatisfied => "不满意",
        }
    }
    pub fn from_code(code: i64) -> Option<Verdict> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
    /// Parses the form's value ("1", "2", "3").
    pub fn parse(s: &str) -> Option<Verdict> {
        s.trim().parse().ok().and_then(Verdict::from_code)
    }
}

pub const COMMENT_MAX: usize = 300;
/// An 不满意 needs a reason the unit can act on: at least this many characters.
pub const REASON_MIN: usize = 5;

/// A rating as the form sent it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    pub verdict: String,
    #[serde(default)]
    pub comment: String,
}

/// A rating that passed the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub verdict: Verdict,
    pub comment: String,
}

/// Checks a rating; errors by field, in Chinese.
pub fn check_rating(form: &RatingForm) -> Result<Rating, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let verdict = Verdict::parse(&form.verdict);
    if verdict.is_none() {
        errors.insert("verdict".into(), "请选择满意、基本满意或不满意".into());
    }
    let comment = form.comment.trim().to_owned();
    let len = comment.chars().count();
    if len > COMMENT_MAX {
        errors.insert("comment".into(), format!("评价内容最多 {COMMENT_MAX} 字，现有 {len} 字"));
    } else if verdict == Some(Verdict::Unsatisfied) && len < REASON_MIN {
        errors.insert("comment".into(), format!("选择“不满意”时请写明原因（至少 {REASON_MIN} 个字），以便单位改进"));
    }
    match verdict {
        Some(verdict) if errors.is_empty() => Ok(Rating { verdict, comment }),
        _ => Err(errors),
    }
}

/// The calendar month (Beijing time) a rating made at `unix` counts in: `YYYY-MM`.
pub fn month_of(unix: i64) -> String {
    platform::fmt_date(unix).chars().take(7).collect()
}

/// A staff record as the office's form sent it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct StaffInput {
    /// 所属单位的 id
    #[schemars(range(min = 1))]
    pub org_id: i64,
    /// 姓名
    #[schemars(length(min = 1, max = 20), regex(pattern = r"\S"))]
    pub name: String,
    /// 职务或岗位（如：窗口受理员、科长）
    #[schemars(length(max = 40))]
    pub post: String,
    /// 工作职责
    #[schemars(length(max = 500))]
    pub duties: String,
    /// 办公电话（单位的电话，不是个人手机）：带区号的固定电话或 5、6 位服务号码
    #[schemars(regex(pattern = r"^\s*(|\d{5,6}|0\d{2,3}-\d{7,8}(-\d{1,5})?)\s*$"))]
    pub office_phone: String,
    /// 排序（小的在前）
    pub sort_order: i64,
    /// 是否在评价窗口中显示
    pub active: bool,
}

/// Checks a staff record; errors by field. The office phone is a landline with its area code
/// (0451-86123456) or a service number (12345): a personal mobile number is refused, because the
/// page is public.
pub fn check_staff(input: &StaffInput) -> Result<StaffInput, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let mut s = input.clone();
    s.name = s.name.trim().to_owned();
    s.post = s.post.trim().to_owned();
    s.duties = s.duties.trim().to_owned();
    s.office_phone = s.office_phone.trim().to_owned();
    let name_len = s.name.chars().count();
    if name_len == 0 {
        errors.insert("name".into(), "请填写姓名".into());
    } else if name_len > 20 {
        errors.insert("name".into(), "姓名最多 20 个字".into());
    }
    if s.post.chars().count() > 40 {
        errors.insert("post".into(), "职务或岗位最多 40 个字".into());
    }
    if s.duties.chars().count() > 500 {
        errors.insert("duties".into(), "工作职责最多 500 字".into());
    }
    if !s.office_phone.is_empty() && !is_office_phone(&s.office_phone) {
        errors.insert(
            "office_phone".into(),
            "办公电话应为带区号的固定电话（如 0451-86123456）或服务号码（如 12345），不要填写个人手机".into(),
        );
    }
    if s.org_id <= 0 {
        errors.insert("org_id".into(), "请选择所属单位".into());
    }
    if errors.is_empty() { Ok(s) } else { Err(errors) }
}

/// A landline with area code (`0451-86123456`, an optional `-123` extension) or a short service
/// number of 5 or 6 digits.
pub fn is_office_phone(s: &str) -> bool {
    let digits =
        |t: &str, min: usize, max: usize| (min..=max).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    if digits(s, 5, 6) {
        return true;
    }
    let mut parts = s.split('-');
    let (Some(area), Some(number)) = (parts.next(), parts.next()) else { return false };
    let extension_ok = match parts.next() {
        None => true,
        Some(ext) => digits(ext, 1, 5) && parts.next().is_none(),
    };
    area.starts_with('0') && digits(area, 3, 4) && digits(number, 7, 8) && extension_ok
}

/// Published ratings counted by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Counts {
    pub satisfied: i64,
    pub basic: i64,
    pub unsatisfied: i64,
}

impl Counts {
    pub fn total(&self) -> i64 {
        self.satisfied + self.basic + self.unsatisfied
    }
    /// 满意率: (满意 + 基本满意) / 总数, in tenths of a percent so it prints without float noise;
    /// `None` without ratings.
    pub fn rate_permille(&self) -> Option<i64> {
        let total = self.total();
        (total > 0).then(|| ((self.satisfied + self.basic) * 2000 + total) / (2 * total))
    }
    /// The rate as the pages show it: `96.4%`, or `—` without ratings.
    pub fn rate_text(&self) -> String {
        match self.rate_permille() {
            Some(p) => format!("{}.{}%", p / 10, p % 10),
            None => "—".into(),
        }
    }
    pub fn add(&mut self, other: &Counts) {
        self.satisfied += other.satisfied;
        self.basic += other.basic;
        self.unsatisfied += other.unsatisfied;
    }
    /// One published rating's contribution.
    pub fn of(verdict: Verdict) -> Counts {
        let mut c = Counts::default();
        match verdict {
            Verdict::Satisfied => c.satisfied = 1,
            Verdict::Basic => c.basic = 1,
            Verdict::Unsatisfied => c.unsatisfied = 1,
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(verdict: &str, comment: &str) -> RatingForm {
        RatingForm { verdict: verdict.into(), comment: comment.into() }
    }

    #[test]
    fn a_rating_needs_a_verdict_and_a_reason_when_unsatisfied() {
        assert_eq!(check_rating(&form("1", "")).unwrap().verdict, Verdict::Satisfied);
        assert_eq!(check_rating(&form(" 2 ", " 办事快 ")).unwrap().comment, "办事快");
        assert!(check_rating(&form("", "")).unwrap_err().contains_key("verdict"));
        assert!(check_rating(&form("4", "")).unwrap_err().contains_key("verdict"));
        assert!(check_rating(&form("满意", "")).unwrap_err().contains_key("verdict"));
        let e = check_rating(&form("3", "太慢")).unwrap_err();
        assert!(e["comment"].contains("原因"), "{e:?}");
        assert!(check_rating(&form("3", "窗口排队一个小时无人受理")).is_ok());
        let long = "好".repeat(COMMENT_MAX + 1);
        assert!(check_rating(&form("1", &long)).unwrap_err()["comment"].contains("301"));
        assert!(check_rating(&form("1", &"好".repeat(COMMENT_MAX))).is_ok());
        // Both problems are named at once.
        assert_eq!(check_rating(&form("", &long)).unwrap_err().len(), 2);
    }

    #[test]
    fn verdicts_round_trip_through_their_codes() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::from_code(v.code()), Some(v));
            assert_eq!(Verdict::parse(&v.code().to_string()), Some(v));
        }
        assert_eq!(Verdict::from_code(0), None);
    }

    #[test]
    fn a_rating_counts_in_its_beijing_month() {
        // 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Beijing.
        assert_eq!(month_of(1_796_056_200), "2026-12");
        assert_eq!(month_of(1_796_056_200 - 3600), "2026-11");
    }

    #[test]
    fn office_phones_are_landlines_or_service_numbers() {
        for ok in ["0451-86123456", "010-12345678", "0451-8612345", "0451-86123456-802", "12345", "123456"] {
            assert!(is_office_phone(ok), "{ok}");
        }
        for bad in ["13912345678", "451-86123456", "0451-861234", "0451 86123456", "0451-86123456-", "1234", "电话"] {
            assert!(!is_office_phone(bad), "{bad}");
        }
    }

    #[test]
    fn a_staff_record_needs_a_name_a_unit_and_no_mobile_number() {
        let ok =
            StaffInput {
                org_id: 3, name: " 王丽 ".into(), office_phone: "0451-86123456".into(), ..Default::default()
            };
        assert_eq!(check_staff(&ok).unwrap().name, "王丽");
        let e = check_staff(&StaffInput { office_phone: "13912345678".into(), ..Default::default() }).unwrap_err();
        assert_eq!(e.keys().map(String::as_str).collect::<Vec<_>>(), ["name", "office_phone", "org_id"]);
        let long = StaffInput { org_id: 1, name: "王".repeat(21), duties: "办".repeat(501), ..Default::default() };
        assert_eq!(check_staff(&long).unwrap_err().len(), 2);
    }

    #[test]
    fn the_rate_counts_basic_satisfaction_and_rounds_half_up() {
        assert_eq!(Counts::default().rate_permille(), None);
        assert_eq!(Counts::default().rate_text(), "—");
        let c = Counts { satisfied: 90, basic: 6, unsatisfied: 4 };
        assert_eq!(c.rate_text(), "96.0%");
        // 2/3 = 66.666…% → 66.7%; 1/8 = 12.5% exactly.
        assert_eq!(Counts { satisfied: 2, basic: 0, unsatisfied: 1 }.rate_text(), "66.7%");
        assert_eq!(Counts { satisfied: 0, basic: 1, unsatisfied: 7 }.rate_text(), "12.5%");
        let mut sum = Counts::of(Verdict::Satisfied);
        sum.add(&Counts::of(Verdict::Unsatisfied));
        assert_eq!((sum.total(), sum.rate_permille()), (2, Some(500)));
    }
}

//! The rules of subscriptions, without I/O: who may subscribe with what (a mail address or a
//! mainland mobile number, at least one topic the site offers, one of three frequencies), when the
//! daily and weekly digests are due (08:00 Beijing time; Mondays for the weekly one), and the words
//! of every message sent, each with the way out (退订) in it.

use std::collections::BTreeMap;

/// How often a subscriber hears from us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Frequency {
    Immediate,
    Daily,
    Weekly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Immediate, Frequency::Daily, Frequency::Weekly];
    pub fn code(self) -> &'static str {
        match self {
            Frequency::Immediate => "immediate",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Frequency::Immediate => "发布后立即",
            Frequency::Daily => "每日摘要（每天 8:00）",
            Frequency::Weekly => "每周摘要（每周一 8:00）",
        }
    }
    pub fn parse(s: &str) -> Option<Frequency> {
        Self::ALL.into_iter().find(|f| f.code() == s)
    }
}

/// How messages reach the subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Mail,
    Sms,
}

impl Via {
    pub fn code(self) -> &'static str {
        match self {
            Via::Mail => "mail",
            Via::Sms => "sms",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Via::Mail => "电子邮件",
            Via::Sms => "手机短信",
        }
    }
    pub fn parse(s: &str) -> Option<Via> {
        [Via::Mail, Via::Sms].into_iter().find(|v| v.code() == s)
    }
}

/// Where a subscriber is in the double opt-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Asked, not yet confirmed (deleted after [`CONFIRM_DAYS`]).
    Pending,
    Active,
    /// Unsubscribed (the address is erased after [`ERASE_DAYS`]).
    Ended,
}

impl State {
    pub fn code(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Active => "active",
            State::Ended => "ended",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            State::Pending => "待确认",
            State::Active => "订阅中",
            State::Ended => "已退订",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        [State::Pending, State::Active, State::Ended].into_iter().find(|x| x.code() == s)
    }
}

/// Days a confirmation link or code stays valid.
pub const CONFIRM_DAYS: i64 = 7;
/// Days after unsubscribing that the address is erased.
pub const ERASE_DAYS: i64 = 28;
/// Wrong SMS codes before the request must be made again.
pub const CODE_ATTEMPTS: i64 = 5;
/// Items listed in one digest (the rest are counted with a link to the site).
pub const DIGEST_ITEMS: usize = 50;

/// What the subscription form sends.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Form {
    #[serde(default)]
    pub via: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub frequency: String,
    #[serde(default)]
    pub topics: Vec<String>,
}

/// A checked request to subscribe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub via: Via,
    pub address: String,
    pub frequency: Frequency,
    pub topics: Vec<String>,
}

/// A plausible mail address: one `@`, a dotted domain, no spaces, at most 100 characters.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    s.len() <= 100
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
}

/// A mainland mobile number: 11 digits starting with 13–19 (spaces and dashes allowed in input).
pub fn normal_phone(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let ok = digits.len() == 11
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.starts_with('1')
        && matches!(digits.as_bytes()[1], b'3'..=b'9');
    ok.then_some(digits)
}

/// Checks the form against the topics the site offers; errors name their field in Chinese.
pub fn check(form: &Form, offered: &[String]) -> Result<Request, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let via = Via::parse(form.via.trim());
    let address = match via {
        Some(Via::Mail) => {
            let e = form.email.trim();
            if e.is_empty() {
                errors.insert("email".into(), "请填写电子邮箱".into());
            } else if !valid_email(e) {
                errors.insert("email".into(), "电子邮箱格式不正确，例如 zhang@example.com".into());
            }
            e.to_owned()
        }
        Some(Via::Sms) => match normal_phone(&form.phone) {
            Some(p) => p,
            None => {
                let m = if form.phone.trim().is_empty() {
                    "请填写手机号码"
                } else {
                    "手机号码应为 11 位数字，例如 13800000000"
                };
                errors.insert("phone".into(), m.into());
                String::new()
            }
        },
        None => {
            errors.insert("via".into(), "请选择接收方式：电子邮件或手机短信".into());
            String::new()
        }
    };
    let frequency = Frequency::parse(form.frequency.trim());
    if frequency.is_none() {
        errors.insert("frequency".into(), "请选择接收频率".into());
    }
    let mut topics: Vec<String> = form.topics.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    topics.sort();
    topics.dedup();
    if topics.is_empty() {
        errors.insert("topics".into(), "请至少选择一个订阅内容".into());
    } else if topics.iter().any(|t| !offered.contains(t)) {
        errors.insert("topics".into(), "所选订阅内容已不存在，请重新选择".into());
    }
    match (via, frequency) {
        (Some(via), Some(frequency)) if errors.is_empty() => Ok(Request { via, address, frequency, topics }),
        _ => Err(errors),
    }
}

/// The digest slot a moment falls after: the latest 08:00 Beijing time (a Monday's, for weekly)
/// at or before `now`, as (period key, slot time). 08:00 in Beijing is 00:00 UTC.
pub fn latest_slot(frequency: Frequency, now: i64) -> Option<(String, i64)> {
    let day = now.div_euclid(86_400);
    let slot_day = match frequency {
        Frequency::Immediate => return None,
        Frequency::Daily => day,
        // 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays.
        Frequency::Weekly => day - (day + 3).rem_euclid(7),
    };
    let at = slot_day * 86_400;
    let key = match frequency {
        Frequency::Weekly => format!("{}周", platform::fmt_date(at)),
        _ => platform::fmt_date(at),
    };
    Some((key, at))
}

/// The publications a digest due at `slot` covers: from the previous slot up to this one.
pub fn window(frequency: Frequency, slot: i64) -> (i64, i64) {
    let span = if frequency == Frequency::Weekly { 7 * 86_400 } else { 86_400 };
    (slot - span, slot)
}

/// "z***@example.com", "138****5678": how back-office lists show an address.
pub fn mask(via: Via, address: &str) -> String {
    match via {
        Via::Sms => platform::sms::Sms::mask(address),
        Via::Mail => match address.split_once('@') {
            Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
            None => "***".into(),
        },
    }
}

/// A publication as a message shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    pub summary: String,
    pub url: String,
    pub published_at: i64,
}

/// The links every message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    pub manage: String,
    pub unsubscribe: String,
}

fn footer(site: &str, frequency: Frequency, links: &Links) -> String {
    format!(
        "\n——\n您订阅了{site}的信息（{}）。\n修改订阅内容或频率：{}\n退订（一步完成，无需登录）：{}\n本邮件由系统发出，请勿直接回复。\n",
        frequency.label(),
        links.manage,
        links.unsubscribe
    )
}

/// The mail asking to confirm a subscription (double opt-in).
pub fn confirm_mail(site: &str, topics: &[String], confirm_url: &str) -> (String, String) {
    (
        format!("【{site}】请确认订阅"),
        format!(
            "您好：\n\n有人（希望是您）用这个邮箱订阅了{site}的以下信息：\n{}\n\n请在 {CONFIRM_DAYS} 天内打开下面的链接并点击“确认订阅”：\n{confirm_url}\n\n如果不是您本人操作，请忽略本邮件，我们不会再给您发送任何邮件。\n",
            topics.iter().map(|t| format!("· {t}")).collect::<Vec<_>>().join("\n")
        ),
    )
}

/// The SMS carrying the confirmation code.
pub fn confirm_sms(site: &str, code: &str) -> String {
    format!("【{site}】您的订阅确认码为 {code}，{CONFIRM_DAYS} 天内有效。如非本人操作请忽略。")
}

/// One publication, sent at once.
pub fn alert_mail(site: &str, item: &Item, links: &Links) -> (String, String) {
    let mut body = format!("{site}发布了新的信息：\n\n{}\n", item.title);
    if !item.summary.is_empty() {
        body.push_str(&format!("{}\n", item.summary));
    }
    body.push_str(&format!("发布时间：{}\n阅读全文：{}\n", platform::fmt_time(item.published_at), item.url));
    body.push_str(&footer(site, Frequency::Immediate, links));
    (format!("【{site}】{}", item.title), body)
}

/// The day's or week's publications in one message (`items` newest first; `total` may be more).
pub fn digest_mail(
    site: &str,
    frequency: Frequency,
    slot: i64,
    items: &[Item],
    total: usize,
    links: &Links,
) -> (String, String) {
    let what = if frequency == Frequency::Weekly { "每周信息摘要" } else { "每日信息摘要" };
    let date = platform::fmt_date(slot);
    let mut body = format!("{site}{what}（截至 {date} 8:00），共 {total} 条：\n\n");
    for (i, it) in items.iter().enumerate() {
        body.push_str(&format!("{}. {}\n   {}  {}\n", i + 1, it.title, platform::fmt_date(it.published_at), it.url));
    }
    if total > items.len() {
        body.push_str(&format!("\n另有 {} 条，请到网站查看。\n", total - items.len()));
    }
    body.push_str(&footer(site, frequency, links));
    (format!("【{site}】{what}（{date}，{total} 条）"), body)
}

/// A text message: one publication, or the first of a digest and how many more; always with the
/// way to unsubscribe (通信短信息服务管理规定).
pub fn alert_sms(site: &str, items: &[Item], total: usize, unsubscribe: &str) -> String {
    let first = items.first().map(|i| format!("{} {}", i.title, i.url)).unwrap_or_default();
    let more = if total > 1 { format!("等 {total} 条信息") } else { String::new() };
    format!("【{site}】{first}{more}。回复TD退订，或访问 {unsubscribe}")
}

/// Whether a text message replied to an alert asks to stop them: TD (退订), T, N, 0000 and the
/// Chinese words, as carriers' users send them, in any case and with spaces around.
pub fn is_stop_reply(text: &str) -> bool {
    let t = text.trim().trim_matches(|c: char| c.is_ascii_punctuation() || "。！".contains(c)).to_ascii_uppercase();
    matches!(t.as_str(), "TD" | "T" | "N" | "0000" | "QX" | "退订" | "取消" | "取消订阅")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(via: &str, email: &str, phone: &str, freq: &str, topics: &[&str]) -> Form {
        Form {
            via: via.into(),
            email: email.into(),
            phone: phone.into(),
            frequency: freq.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn a_form_is_checked_field_by_field() {
        let offered = vec!["channel:1".to_owned(), "channel:2".to_owned()];
        let ok = check(
            &form("mail", " zhang@example.com ", "", "daily", &["channel:2", "channel:1", "channel:2"]),
            &offered,
        )
        .unwrap();
        assert_eq!(ok.address, "zhang@example.com");
        assert_eq!(ok.topics, vec!["channel:1", "channel:2"]);
        assert_eq!(ok.frequency, Frequency::Daily);
        let sms = check(&form("sms", "", "138 0000-1234", "immediate", &["channel:1"]), &offered).unwrap();
        assert_eq!((sms.via, sms.address.as_str()), (Via::Sms, "13800001234"));

        let e = check(&form("", "", "", "", &[]), &offered).unwrap_err();
        assert_eq!(e.keys().cloned().collect::<Vec<_>>(), vec!["frequency", "topics", "via"]);
        let e = check(&form("mail", "zhang@", "", "hourly", &["channel:9"]), &offered).unwrap_err();
        assert!(e["email"].contains("格式不正确"));
        assert_eq!(e["frequency"], "请选择接收频率");
        assert!(e["topics"].contains("已不存在"));
        let e = check(&form("sms", "", "1234567890", "daily", &["channel:1"]), &offered).unwrap_err();
        assert!(e["phone"].contains("11 位"));
        assert!(
            check(&form("sms", "", "", "daily", &["channel:1"]), &offered).unwrap_err()["phone"].contains("请填写")
        );
    }

    #[test]
    fn addresses() {
        for good in ["a@b.cn", "zhang.san+news@mail.harbin.gov.cn"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in ["", "a", "a@b", "@b.cn", "a@.cn", "a@b.", "a b@c.cn", "a@b@c.cn", "<a@b.cn>", "a@b.cn,c@d.cn"] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert_eq!(normal_phone("13912345678").as_deref(), Some("13912345678"));
        assert_eq!(normal_phone("12912345678"), None);
        assert_eq!(normal_phone("1391234567x"), None);
        assert_eq!(mask(Via::Mail, "zhang@example.com"), "z***@example.com");
        assert_eq!(mask(Via::Sms, "13912345678"), "139****5678");
    }

    #[test]
    fn digests_fall_at_eight_in_the_morning_beijing_time() {
        // 2026-12-07 is a Monday; 00:00 UTC is 08:00 in Beijing.
        let monday_8 = 1_796_601_600;
        assert_eq!(platform::fmt_time(monday_8), "2026-12-07 08:00");
        assert_eq!(latest_slot(Frequency::Daily, monday_8), Some(("2026-12-07".into(), monday_8)));
        assert_eq!(latest_slot(Frequency::Daily, monday_8 - 1), Some(("2026-12-06".into(), monday_8 - 86_400)));
        assert_eq!(latest_slot(Frequency::Weekly, monday_8 + 3 * 86_400), Some(("2026-12-07周".into(), monday_8)));
        assert_eq!(latest_slot(Frequency::Weekly, monday_8 - 1).map(|s| s.1), Some(monday_8 - 7 * 86_400));
        assert_eq!(latest_slot(Frequency::Immediate, monday_8), None);
        assert_eq!(window(Frequency::Weekly, monday_8), (monday_8 - 7 * 86_400, monday_8));
        assert_eq!(window(Frequency::Daily, monday_8), (monday_8 - 86_400, monday_8));
    }

    #[test]
    fn every_message_says_how_to_leave() {
        let links = Links {
            manage: "http://x/dingyue/manage/1.t".into(),
            unsubscribe: "http://x/dingyue/unsubscribe/1.t".into(),
        };
        let item = Item {
            title: "关于冬季供暖的通知".into(),
            summary: "摘要".into(),
            url: "http://x/a/1.html".into(),
            published_at: 1_796_601_600,
        };
        let (subject, body) = alert_mail("哈尔滨市人民政府", &item, &links);
        assert_eq!(subject, "【哈尔滨市人民政府】关于冬季供暖的通知");
        assert!(
            body.contains("http://x/a/1.html") && body.contains(&links.unsubscribe) && body.contains(&links.manage)
        );
        let items = vec![item.clone(); 3];
        let (subject, body) = digest_mail("市政府", Frequency::Daily, 1_796_601_600, &items, 5, &links);
        assert!(subject.contains("每日信息摘要") && subject.contains("5 条"), "{subject}");
        assert!(
            body.contains("3. 关于冬季供暖的通知") && body.contains("另有 2 条") && body.contains(&links.unsubscribe)
        );
        let sms = alert_sms("市政府", &items, 3, "http://x/u");
        assert!(sms.contains("等 3 条") && sms.ends_with("回复TD退订，或访问 http://x/u"), "{sms}");
        let (_, body) = confirm_mail("市政府", &["本地要闻".into()], "http://x/c");
        assert!(body.contains("· 本地要闻") && body.contains("http://x/c") && body.contains("忽略"));
    }

    #[test]
    fn stop_replies_are_recognised() {
        for yes in ["TD", " td ", "Td。", "T", "n", "0000", "退订", "取消订阅", "QX!"] {
            assert!(is_stop_reply(yes), "{yes}");
        }
        for no in ["", "TDD", "谢谢", "好的", "1", "订阅"] {
            assert!(!is_stop_reply(no), "{no}");
        }
    }
}

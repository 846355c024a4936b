//! Citizens' personal data on public surfaces: the one redaction every published text goes
//! through (letters today; disclosure replies and consultations next), and the masks back-office
//! lists use. Pure.
//!
//! Redaction finds what people actually type: ID numbers and phones written with spaces, dashes or
//! full-width digits, e-mail addresses, WeChat/QQ ids, and home addresses down to the house
//! number, building, unit and room. Street and district names stay, so a published letter still
//! says where the pothole is.

use std::sync::OnceLock;

use regex::Regex;

pub const ID_HIDDEN: &str = "[身份证号已隐去]";
pub const PHONE_HIDDEN: &str = "[电话已隐去]";
pub const EMAIL_HIDDEN: &str = "[邮箱已隐去]";
pub const ACCOUNT_HIDDEN: &str = "[账号已隐去]";
pub const ADDRESS_HIDDEN: &str = "[门牌号已隐去]";

/// Masks a name for back-office lists: 张三 → 张*, 欧阳小明 → 欧***.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count();
            format!("{first}{}", "*".repeat(rest.max(1)))
        }
        None => String::new(),
    }
}

/// Masks who applied, for lists: a person as [`mask_name`] (王建国 → 王**); an organisation keeps
/// its first three and last four characters so it stays recognisable (哈尔滨****有限公司).
pub fn mask_party(name: &str, organisation: bool) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    if organisation && chars.len() > 6 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        mask_name(name)
    }
}

/// 13812345678 → 138****5678; other values keep their first and last two characters.
pub fn mask_contact(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        11 => format!("{}****{}", chars[..3].iter().collect::<String>(), chars[7..].iter().collect::<String>()),
        n if n <= 4 => "*".repeat(n),
        n => format!(
            "{}{}{}",
            chars[..2].iter().collect::<String>(),
            "*".repeat(n - 4),
            chars[n - 2..].iter().collect::<String>()
        ),
    }
}

struct Patterns {
    id: Regex,
    mobile: Regex,
    landline: Regex,
    email: Regex,
    account: Regex,
    address: Regex,
}

/// A separator people put between digit groups: space, dash (ASCII, full-width, dashes), dot.
const SEP: &str = r"[ \t\u{3000}\-－—–·.]?";

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let d = |n: usize| format!("(?:{SEP}[0-9]){{{n}}}");
        Patterns {
            // Digit runs are bounded on both sides so a phone inside a longer number is left alone.
            id: Regex::new(&format!(r"(?:^|[^0-9])([1-9]{}{SEP}[0-9Xx])(?:$|[^0-9A-Za-z])", d(16))).expect("id regex"),
            mobile: Regex::new(&format!(r"(?:^|[^0-9])((?:\+?86{SEP}|\(\+?86\){SEP})?1[3-9]{})(?:$|[^0-9])", d(9)))
                .expect("mobile regex"),
            landline: Regex::new(&format!(
                r"(?:^|[^0-9])((?:\(0[0-9]{{2,3}}\)|（0[0-9]{{2,3}}）|0[0-9]{{2,3}}){SEP}[2-9](?:{SEP}[0-9]){{6,7}})(?:$|[^0-9])"
            ))
            .expect("landline regex"),
            email: Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("email regex"),
            account: Regex::new(r"(?i)(?:微信号?|wechat|weixin|wx|QQ号?|qq)\s*(?:号码|账号|号)?\s*[:：是为]?\s*([A-Za-z0-9_\-]{5,30})")
                .expect("account regex"),
            // A run of house-number parts: 88号, 5栋, 2单元, 1201室, 3号楼, 12层 …
            address: Regex::new(
                r"(?:[0-9一二三四五六七八九十百零〇]+[ ]?(?:号楼|号院|号门|栋|幢|座|单元|层|楼|室|户|号)[-－之]?)+",
            )
            .expect("address regex"),
        }
    })
}

/// Full-width digits and letters to ASCII, so `１３８` is found like `138`.
fn half_width_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            'Ｘ' => 'X',
            'ｘ' => 'x',
            '＋' => '+',
            c => c,
        })
        .collect()
}

fn replace_group(text: &str, re: &Regex, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut at = 0;
    while let Some(c) = re.captures_at(text, at) {
        let Some(g) = c.get(1) else { break };
        out.push_str(&text[last..g.start()]);
        out.push_str(with);
        last = g.end();
        at = g.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Building/unit/room words that make a number run a home address wherever it stands.
const DWELLING: [&str; 8] = ["号楼", "号院", "号门", "栋", "幢", "单元", "室", "户"];
/// Words before a bare `N号` that make it a house number (`安静街88号`), unlike `12号文件`.
const STREETS: [char; 10] = ['路', '街', '道', '巷', '弄', '里', '村', '组', '屯', '同'];

fn redact_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in patterns().address.find_iter(text) {
        if m.start() < last {
            continue;
        }
        let run = m.as_str();
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        // 文号 (〔2019〕88号), 12号线 and 88号文件 are not addresses.
        let document =
            matches!(before, Some('〕' | ']' | '）' | ')' | '第')) || matches!(after, Some('线' | '文' | '令' | '公'));
        let dwelling = DWELLING.iter().any(|w| run.contains(w));
        let house = before.is_some_and(|c| STREETS.contains(&c)) && run.contains('号');
        if !document && (dwelling || house) {
            out.push_str(&text[last..m.start()]);
            out.push_str(ADDRESS_HIDDEN);
            // A room written without 室 (3号楼1单元402) ends in bare digits.
            let tail = text[m.end()..].bytes().take_while(u8::is_ascii_digit).count();
            last = m.end() + if dwelling { tail } else { 0 };
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Automatic redaction before anything a citizen wrote is shown to the public: ID numbers, mobile
/// and landline numbers, e-mail addresses, WeChat/QQ ids, house numbers and rooms, and the names
/// given (the writer's and any others the office lists; one-character names are left, they would
/// hit ordinary words). Staff still see the original; the office can edit the result by hand.
pub fn redact(text: &str, names: &[&str]) -> String {
    let p = patterns();
    let mut t = half_width_digits(text);
    t = replace_group(&t, &p.id, ID_HIDDEN);
    t = replace_group(&t, &p.mobile, PHONE_HIDDEN);
    t = replace_group(&t, &p.landline, PHONE_HIDDEN);
    t = p.email.replace_all(&t, EMAIL_HIDDEN).into_owned();
    t = replace_group(&t, &p.account, ACCOUNT_HIDDEN);
    t = redact_addresses(&t);
    let mut names: Vec<&str> = names.iter().map(|n| n.trim()).filter(|n| n.chars().count() >= 2).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for n in names {
        t = t.replace(n, &mask_name(n));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts citizens wrote (or could have), each with the personal data that must not survive and
    /// the ordinary facts that must.
    const CORPUS: &[(&str, &[&str], &[&str])] = &[
        (
            "我叫王建国，电话13812345678，座机010-87654321，身份证11010519491231002X，邮箱wang@example.cn。",
            &["13812345678", "87654321", "1231002X", "wang@example.cn", "王建国"],
            &["我叫"],
        ),
        ("身份证号 110105 19491231 002X，请核实。", &["19491231", "002X"], &["请核实"]),
        ("身份证号：110105-1949-1231-002x。", &["1949", "1231", "002x"], &[]),
        ("证件号码１１０１０５１９４９１２３１００２Ｘ", &["１１０１０５", "110105", "002X"], &[]),
        ("手机 138 1234 5678 或 138-1234-5678，也可打+86 139 8765 4321", &["5678", "4321"], &["手机"]),
        ("手机：１３９８７６５４３２１", &["１３９８７６５４３２１", "13987654321"], &[]),
        ("固话（0451）87654321，或 0451－8765 4321", &["87654321", "8765 4321"], &[]),
        (
            "我家住道里区安静街88号阳光小区5栋2单元1201室，楼下烧烤店油烟很大。",
            &["88号", "5栋", "2单元", "1201室"],
            &["道里区安静街", "阳光小区", "油烟"],
        ),
        ("南岗区学府路3号楼1单元402，噪音扰民。", &["3号楼", "402"], &["南岗区学府路"]),
        ("举报人微信号：wxid_abc12345，QQ 123456789。", &["wxid_abc12345", "123456789"], &["举报人"]),
        ("依据哈政发〔2020〕12号文件，地铁12号线沿线的施工扰民问题。", &[], &["〔2020〕12号", "12号线", "12号文件"]),
        ("订单号2026120112345678901不是电话。", &[], &["2026120112345678901"]),
        ("本周三上午9点在3楼会议室开会，共有20户受影响。", &[], &["9点"]),
    ];

    #[test]
    fn redaction_corpus() {
        for (text, gone, kept) in CORPUS {
            let r = redact(text, &["王建国", "李四"]);
            for g in *gone {
                assert!(!r.contains(g), "{g:?} survived in {r:?}");
            }
            for k in *kept {
                assert!(r.contains(k), "{k:?} was lost from {r:?}");
            }
        }
    }

    #[test]
    fn names_and_placeholders() {
        let r = redact("请王建国的邻居李四也注意。", &["王建国", "李四"]);
        assert_eq!(r, "请王**的邻居李*也注意。");
        assert_eq!(redact("没有个人信息。", &["王"]), "没有个人信息。", "one-character names are not replaced");
        assert!(redact("138 1234 5678", &[]).contains(PHONE_HIDDEN));
        assert!(redact("身份证 11010519491231002X", &[]).contains(ID_HIDDEN));
        assert!(redact("住在友谊路5号", &[]).contains(ADDRESS_HIDDEN));
        assert_eq!(redact(&redact("电话13812345678", &[]), &[]), redact("电话13812345678", &[]), "idempotent");
    }

    #[test]
    fn masking() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳小明"), "欧***");
        assert_eq!(mask_name("王"), "王*");
        assert_eq!(mask_party("哈尔滨冰城示例科技有限公司", true), "哈尔滨****有限公司");
        assert_eq!(mask_party("王建国", false), "王**");
        assert_eq!(mask_party("某公司", true), "某**", "a short organisation name is masked as a name");
        assert_eq!(mask_contact("13812345678"), "138****5678");
        assert_eq!(mask_contact("wang@example.cn"), "wa***********cn");
        assert_eq!(mask_contact("123"), "***");
    }
}

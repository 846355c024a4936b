//! National identifier checks — pure: citizen ID numbers (GB 11643, ISO 7064 MOD 11-2 check
//! character), 统一社会信用代码 (GB 32100) and 组织机构代码 (GB 11714), phone numbers, 文号. Used wherever the public
//! or staff type one (letters, applications, org units).

use time::Date;

/// GB 11643-1999 citizen ID number: 17 digits, a valid birth date, and the ISO 7064 MOD 11-2
/// check character.
pub fn valid_id_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let birth = &s[6..14];
    let fmt = time::macros::format_description!("[year][month][day]");
    if Date::parse(birth, &fmt).is_err() {
        return false;
    }
    id_check_char(&s[..17]).is_some_and(|c| b[17].to_ascii_uppercase() == c as u8)
}

/// The GB 11643 check character of an ID number's first 17 digits (`None` for anything else);
/// the demo and tests make valid numbers with it.
pub fn id_check_char(first17: &str) -> Option<char> {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b.iter().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(b"10X98765432"[(sum % 11) as usize] as char)
}

const USCC: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// The GB 32100 check character of a 统一社会信用代码's first 17 characters (`None` when one is
/// not a valid character).
pub fn uscc_check_char(first17: &str) -> Option<char> {
    let mut sum = 0usize;
    for (ch, w) in first17.chars().zip(USCC_WEIGHTS) {
        sum += USCC.find(ch)? * w;
    }
    USCC.chars().nth((31 - sum % 31) % 31)
}

/// 统一社会信用代码 (18 characters, GB 32100 check character) or 组织机构代码 (9 characters, GB
/// 11714 check character), or a short internal code of letters and digits for a 处室 without one.
pub fn check_org_code(code: &str) -> Option<String> {
    let c: Vec<char> = code.chars().collect();
    if c.len() == 18 {
        if let Some((i, ch)) = c[..17].iter().enumerate().find(|(_, ch)| !USCC.contains(**ch)) {
            return Some(format!("统一社会信用代码第 {} 位“{ch}”不是有效字符", i + 1));
        }
        let first17: String = c[..17].iter().collect();
        return (uscc_check_char(&first17) != Some(c[17])).then(|| "统一社会信用代码校验位不正确，请核对".to_owned());
    }
    if c.len() == 9 || (c.len() == 10 && c[8] == '-') {
        let body: Vec<char> = c.iter().filter(|ch| **ch != '-').copied().collect();
        let weights = [3, 7, 9, 10, 5, 8, 4, 2];
        let mut sum = 0u32;
        for (i, ch) in body[..8].iter().enumerate() {
            let v = match ch.to_digit(36) {
                Some(v) => v,
                None => return Some("组织机构代码只能包含数字和大写字母".into()),
            };
            sum += v * weights[i];
        }
        let check = match 11 - sum % 11 {
            10 => 'X',
            11 => '0',
            n => char::from_digit(n, 10).unwrap_or('0'),
        };
        return (check != body[8]).then(|| "组织机构代码校验位不正确，请核对".to_owned());
    }
    if (2..=16).contains(&c.len()) && c.iter().all(|ch| ch.is_ascii_alphanumeric() || *ch == '-') {
        return None;
    }
    Some("单位代码应为 18 位统一社会信用代码、9 位组织机构代码，或 2–16 位字母数字的内部代码".into())
}

/// An e-mail address as forms accept it: one `@`, a dotted domain, no spaces or list separators.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
        && s.len() <= 254
}

/// A mainland mobile number (what a text message reaches), dashes and spaces allowed.
pub fn valid_mobile(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(|c| c.is_ascii_digit())
}

/// A mainland mobile number or a landline with area code (010-12345678, 0571 87654321).
pub fn valid_phone(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let b = digits.as_bytes();
    (b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])) || (b[0] == b'0' && (10..=12).contains(&b.len()))
}

/// A 文号 as stored: its year in 〔〕 whatever brackets were typed ([] () 【】 ［］ （） 〔〕 ﹝﹞), no
/// spaces — so 哈科规[2024] 3号 and 哈科规〔2024〕3号 are one document.
pub fn normalise_doc_no(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '[' | '(' | '【' | '［' | '（' | '﹝' => '〔',
            ']' | ')' | '】' | '］' | '）' | '﹞' => '〕',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_follow_gb11643() {
        // Check characters computed by hand with ISO 7064 MOD 11-2.
        assert!(valid_id_number("11010519491231002X"));
        assert!(valid_id_number("11010519491231002x"));
        assert!(valid_id_number("440524188001010014"));
        assert!(!valid_id_number("110105194912310021"), "wrong check digit");
        assert!(!valid_id_number("110105194913310027"), "month 13");
        assert!(!valid_id_number("11010519490230002X"), "30 February");
        assert!(!valid_id_number("1101051949123100"), "too short");
        assert!(!valid_id_number("11010519491231002Y"));
        assert!(!valid_id_number("１１010519491231002X"), "full-width digits");
    }
}

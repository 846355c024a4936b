//! The pure rules of 一口式收费: amounts in 分 read from and written as 元, the fee lines of an
//! item, the 20-digit payment code with its check digit, and the notice's states — who may move
//! it where. No I/O.

use platform::web::error::FieldError;
use serde::{Deserialize, Serialize};

/// Reads an amount typed in 元 (`12`, `12.5`, `12.50`, `１２`) as 分; at most 10 million 元.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s: String = s
        .trim()
        .chars()
        .map(|c| if ('０'..='９').contains(&c) { char::from(b'0' + (c as u32 - '０' as u32) as u8) } else { c })
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    let s = s.trim_end_matches('元').trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yuan: i64 = whole.parse().ok().filter(|y| *y <= 10_000_000)?;
    let fen: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    Some(yuan * 100 + fen)
}

/// 分 as 元 with two decimals: 1250 → `12.50`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// One line of a fee standard as an administrator types it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema, PartialEq)]
pub struct FeeLineInput {
    /// 收费项目（如：证书工本费）
    #[serde(default)]
    pub name: String,
    /// 金额（元）
    #[serde(default)]
    pub amount: String,
    /// 收费依据（文件名称和文号）
    #[serde(default)]
    pub basis: String,
}

/// A checked fee line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeLine {
    pub name: String,
    /// 分
    pub amount: i64,
    pub basis: String,
}

/// Checks an item's fee lines (blank rows skipped); names every wrong row.
pub fn check_lines(rows: &[FeeLineInput]) -> Result<Vec<FeeLine>, Vec<FeeError>> {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.name.trim().is_empty() && r.amount.trim().is_empty() && r.basis.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        if r.name.trim().is_empty() || r.name.trim().chars().count() > 60 {
            errs.push(FeeError {
                row: n, message: format!("第 {n} 行：请填写收费项目名称（60 字以内）")
            });
        }
        let amount = parse_yuan(&r.amount).filter(|a| *a > 0);
        if amount.is_none() {
            errs.push(FeeError {
                row: n,
                message: format!("第 {n} 行：金额应为大于 0 的元数，最多两位小数（如 10 或 12.50）"),
            });
        }
        if r.basis.trim().is_empty() {
            errs.push(FeeError {
                row: n, message: format!("第 {n} 行：请写明收费依据（文件名称和文号）")
            });
        }
        if let Some(amount) = amount {
            out.push(FeeLine { name: r.name.trim().to_owned(), amount, basis: r.basis.trim().to_owned() });
        }
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeError {
    pub row: usize,
    pub message: String,
}

impl From<FeeError> for FieldError {
    fn from(e: FeeError) -> FieldError {
        FieldError::new("fees", e.message)
    }
}

/// The payment code of notice `id` issued on `day` (`YYYYMMDD`): the day, the id in 11 digits and
/// a check digit (Luhn), 20 digits that a typo does not turn into another notice's code.
pub fn payment_code(day: &str, id: i64) -> String {
    let body = format!("{day}{:011}", id.rem_euclid(100_000_000_000));
    format!("{body}{}", luhn_digit(&body))
}

fn luhn_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// Whether a typed payment code is well formed (20 digits, check digit right).
pub fn valid_payment_code(code: &str) -> bool {
    code.len() == 20
        && code.bytes().all(|b| b.is_ascii_digit())
        && luhn_digit(&code[..19]) == u32::from(code.as_bytes()[19] - b'0')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待缴费
    Unpaid,
    /// 已缴费
    Paid,
    /// 已退费
    Refunded,
    /// 已作废 (issued in error, never paid)
    Cancelled,
}

impl State {
    pub const ALL: [State; 4] = [State::Unpaid, State::Paid, State::Refunded, State::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            State::Unpaid => "unpaid",
            State::Paid => "paid",
            State::Refunded => "refunded",
            State::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Unpaid => "待缴费",
            State::Paid => "已缴费",
            State::Refunded => "已退费",
            State::Cancelled => "已作废",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 收款: the provider confirms the payment.
    Pay,
    /// 作废: a notice issued in error (before payment).
    Cancel,
    /// 退费: money goes back (the application was withdrawn, or charged wrongly).
    Refund,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Pay, Action::Cancel, Action::Refund];

    pub fn code(self) -> &'static str {
        match self {
            Action::Pay => "pay",
            Action::Cancel => "cancel",
            Action::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Pay => "登记收款",
            Action::Cancel => "作废",
            Action::Refund => "退费",
        }
    }

    pub fn needs_reason(self) -> bool {
        matches!(self, Action::Cancel | Action::Refund)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("缴款通知书目前{}，不能{}", .0.label(), .1.label())]
    WrongState(State, Action),
    #[error("请填写{}的理由", .0.label())]
    ReasonRequired(Action),
}

/// The state after `action` on a notice in `from`, or why not.
pub fn next(from: State, action: Action, reason: &str) -> Result<State, Refusal> {
    let to = match (from, action) {
        (State::Unpaid, Action::Pay) => State::Paid,
        (State::Unpaid, Action::Cancel) => State::Cancelled,
        (State::Paid, Action::Refund) => State::Refunded,
        _ => return Err(Refusal::WrongState(from, action)),
    };
    if action.needs_reason() && reason.trim().is_empty() {
        return Err(Refusal::ReasonRequired(action));
    }
    Ok(to)
}

pub fn actions(state: State) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| next(state, *a, "理由").is_ok()).collect()
}

/// How the application's fee reads for the applicant and the handler.
pub fn fee_state_label(latest: Option<State>) -> &'static str {
    match latest {
        None => "无需缴费",
        Some(State::Cancelled) => "缴款通知书已作废",
        Some(s) => s.label(),
    }
}

/// How a cashier took the money.
pub const METHODS: [(&str, &str); 3] = [("cash", "现金"), ("card", "银行卡"), ("qr", "扫码支付")];

pub fn method_label(code: &str) -> Option<&'static str> {
    METHODS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_in_yuan_and_show_with_two_decimals() {
        assert_eq!(parse_yuan("10"), Some(1000));
        assert_eq!(parse_yuan("12.5"), Some(1250));
        assert_eq!(parse_yuan(" 12.05元 "), Some(1205));
        assert_eq!(parse_yuan("１２"), Some(1200));
        assert_eq!(parse_yuan("1,200"), Some(120_000));
        for bad in ["", "abc", "1.234", "-5", "1e3", ".5", "10000001"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
        assert_eq!(yuan(1250), "12.50");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-300), "-3.00");
    }

    #[test]
    fn fee_lines_name_every_wrong_row_and_skip_blank_ones() {
        let ok = FeeLineInput {
            name: "证书工本费".into(), amount: "10".into(), basis: "黑价费〔2019〕12号".into()
        };
        let blank = FeeLineInput::default();
        assert_eq!(
            check_lines(&[ok.clone(), blank.clone()]).unwrap(),
            vec![FeeLine { name: "证书工本费".into(), amount: 1000, basis: "黑价费〔2019〕12号".into() }]
        );
        let bad = FeeLineInput { name: String::new(), amount: "0".into(), basis: String::new() };
        let e = check_lines(&[ok, blank, bad]).unwrap_err();
        assert_eq!(e.len(), 3);
        assert!(e.iter().all(|x| x.row == 3 && x.message.starts_with("第 3 行")));
    }

    #[test]
    fn payment_codes_are_twenty_digits_that_catch_a_typo() {
        let c = payment_code("20261207", 42);
        assert_eq!(c.len(), 20);
        assert!(c.starts_with("20261207") && valid_payment_code(&c));
        for i in 0..20 {
            let mut b = c.clone().into_bytes();
            b[i] = if b[i] == b'9' { b'0' } else { b[i] + 1 };
            assert!(!valid_payment_code(std::str::from_utf8(&b).unwrap()), "a change at {i} is caught");
        }
        assert!(!valid_payment_code("123"));
        assert_ne!(payment_code("20261207", 42), payment_code("20261207", 43));
    }

    #[test]
    fn the_state_table() {
        use Action::*;
        use State::*;
        let table = [(Unpaid, Pay, Paid), (Unpaid, Cancel, Cancelled), (Paid, Refund, Refunded)];
        for s in State::ALL {
            for a in Action::ALL {
                let want = table.iter().find(|(f, x, _)| *f == s && *x == a).map(|t| t.2);
                match want {
                    Some(to) => assert_eq!(next(s, a, "理由"), Ok(to)),
                    None => assert_eq!(next(s, a, "理由"), Err(Refusal::WrongState(s, a))),
                }
            }
        }
        assert_eq!(next(Paid, Refund, " "), Err(Refusal::ReasonRequired(Refund)));
        assert_eq!(next(Unpaid, Pay, ""), Ok(Paid));
        assert_eq!(actions(Unpaid), vec![Pay, Cancel]);
        assert!(actions(Refunded).is_empty());
        assert_eq!(fee_state_label(None), "无需缴费");
        assert_eq!(fee_state_label(Some(Paid)), "已缴费");
    }
}

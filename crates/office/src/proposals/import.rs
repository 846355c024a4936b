//! Importing a session's list of suggestions or proposals from the spreadsheet the 人大 or 政协
//! office hands over: which column is which (by its heading, under the names those lists use),
//! each row registered as the office would by hand, and a report of what was created, what was
//! already there (a re-run skips it) and which rows were refused, by row and field.

use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use serde::{Deserialize, Serialize};

use super::ProposalInput;
use super::domain::Kind;

/// The rows of one session's list, of one kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["kind", "session", "items"]))]
pub struct ImportInput {
    /// suggestion（人大代表建议）或 proposal（政协委员提案）
    #[serde(default)]
    #[schemars(extend("enum" = ["suggestion", "proposal"]))]
    pub kind: String,
    /// 届次会议，如“市十六届人大五次会议”
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub session: String,
    #[serde(default)]
    #[schemars(length(max = 5000))]
    pub items: Vec<ImportItem>,
}

/// One row of the list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImportItem {
    /// 表格中的行号（报告问题时用；不填按顺序编号）
    #[serde(default)]
    pub row: Option<u64>,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub member_name: String,
    #[serde(default)]
    pub member_account: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub category: String,
}

/// The most rows one import takes (a session has hundreds).
pub const MAX_ROWS: usize = 5000;

/// The headings each field goes by in the lists offices exchange.
const HEADINGS: [(&str, &[&str]); 6] = [
    ("number", &["编号", "建议号", "提案号", "建议编号", "提案编号", "案号"]),
    ("member_name", &["领衔代表", "领衔委员", "领衔人", "提出人", "代表", "委员", "代表姓名", "委员姓名"]),
    ("title", &["标题", "案由", "题目", "建议题目", "提案题目"]),
    ("content", &["内容", "正文", "主要内容", "建议内容", "提案内容"]),
    ("category", &["分类", "类别", "内容分类"]),
    ("member_account", &["账号", "系统账号"]),
];

/// Where each field is in a sheet's heading row: column indexes in [`HEADINGS`] order. A heading
/// is matched without spaces and a required mark (`*`). Number, 领衔人 and title are required.
pub fn columns(headers: &[String]) -> Result<[Option<usize>; 6], String> {
    let clean = |h: &str| h.chars().filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊').collect::<String>();
    let cleaned: Vec<String> = headers.iter().map(|h| clean(h)).collect();
    let mut at = [None; 6];
    for (i, (_, names)) in HEADINGS.iter().enumerate() {
        at[i] = cleaned.iter().position(|h| names.contains(&h.as_str()));
    }
    let missing: Vec<String> = HEADINGS[..3]
        .iter()
        .zip(at)
        .filter(|(_, a)| a.is_none())
        .map(|((_, names), _)| format!("“{}”（也可写作{}）", names[0], names[1..].join("、")))
        .collect();
    if missing.is_empty() { Ok(at) } else { Err(format!("表格缺少列：{}", missing.join("；"))) }
}

/// A sheet row as an item, by [`columns`]; a row of empty cells is `None`.
pub fn item(at: &[Option<usize>; 6], row: u64, cells: &[String]) -> Option<ImportItem> {
    let cell = |i: usize| at[i].and_then(|c| cells.get(c)).map(|s| s.trim().to_owned()).unwrap_or_default();
    let it = ImportItem {
        row: Some(row),
        number: cell(0),
        member_name: cell(1),
        title: cell(2),
        content: cell(3),
        category: cell(4),
        member_account: cell(5),
    };
    let blank = [&it.number, &it.member_name, &it.title, &it.content, &it.category].iter().all(|v| v.is_empty());
    (!blank).then_some(it)
}

/// A row that was not registered, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub row: u64,
    pub number: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub created: usize,
    /// Already registered in this session (a re-run of the same list).
    pub skipped: Vec<Problem>,
    pub rejected: Vec<Problem>,
}

/// Registers each row as the office would by hand (each checked, recorded and audited); a bad
/// row never stops the good ones.
pub async fn import(state: &AppState, ctx: &Ctx, auth: &Auth, input: &ImportInput) -> Result<Report, AppError> {
    super::require_office(auth)?;
    let mut errs = Vec::new();
    if Kind::parse(input.kind.trim()).is_none() {
        errs.push(FieldError::new("kind", "请选择类别：人大代表建议或政协委员提案"));
    }
    let session = input.session.trim();
    if session.is_empty() || session.chars().count() > 100 {
        errs.push(FieldError::new("session", "请填写届次会议，如“市十六届人大五次会议”"));
    }
    if input.items.is_empty() {
        errs.push(FieldError::new("items", "表格中没有可导入的行"));
    } else if input.items.len() > MAX_ROWS {
        errs.push(FieldError::new("items", format!("一次最多导入 {MAX_ROWS} 行")));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut report = Report::default();
    for (i, it) in input.items.iter().enumerate() {
        let row = it.row.unwrap_or(i as u64 + 1);
        let one = ProposalInput {
            kind: input.kind.trim().to_owned(),
            session: session.to_owned(),
            number: it.number.clone(),
            member_name: it.member_name.clone(),
            member_account: it.member_account.clone(),
            title: it.title.clone(),
            content: it.content.clone(),
            category: it.category.clone(),
        };
        let problem = |reason: String| Problem { row, number: it.number.trim().to_owned(), reason };
        match super::register(state, ctx, auth, &one).await {
            Ok(_) => report.created += 1,
            Err(AppError::Invalid(errs)) => {
                let duplicate = errs.iter().find(|e| e.field == "number" && e.message.contains("中已有编号"));
                match duplicate {
                    Some(e) => report.skipped.push(problem(e.message.clone())),
                    None => report
                        .rejected
                        .push(problem(errs.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("；"))),
                }
            }
            Err(e) => return Err(e),
        }
    }
    let summary = format!(
        "{session}：新登记 {} 件，已有 {} 件，未导入 {} 件",
        report.created,
        report.skipped.len(),
        report.rejected.len()
    );
    state.audit(ctx, "proposal.import", "office_proposal:*", "success", summary).await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headings_are_found_under_the_names_lists_use() {
        let at = columns(&heads(&["序号", "建议号", " 领衔代表 ", "案由*", "建议内容", "类别"])).unwrap();
        assert_eq!(at, [Some(1), Some(2), Some(3), Some(4), Some(5), None]);
        let at = columns(&heads(&["提案号", "领衔委员", "提案题目", "系统账号"])).unwrap();
        assert_eq!(at, [Some(0), Some(1), Some(2), None, None, Some(3)]);
        let e = columns(&heads(&["序号", "标题", "内容"])).unwrap_err();
        assert!(e.contains("“编号”（也可写作建议号") && e.contains("“领衔代表”") && !e.contains("“标题”"), "{e}");
    }

    #[test]
    fn rows_become_items_and_blank_rows_are_skipped() {
        let at = columns(&heads(&["编号", "领衔代表", "标题"])).unwrap();
        let cells = heads(&[" 0123 ", "王建华", "关于增设公交线路的建议", "多余的格"]);
        let it = item(&at, 7, &cells).unwrap();
        assert_eq!(
            (it.row, it.number.as_str(), it.member_name.as_str(), it.title.as_str()),
            (Some(7), "0123", "王建华", "关于增设公交线路的建议")
        );
        assert_eq!(it.content, "", "a column the sheet lacks is empty");
        assert!(item(&at, 8, &heads(&["", " ", ""])).is_none());
        assert!(item(&at, 9, &heads(&["0124"])).is_some(), "a short row keeps what it has");
    }
}

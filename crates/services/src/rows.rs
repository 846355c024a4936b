//! The item editor's lists as rows: materials, form fields, process steps, review steps and FAQ
//! are stored and imported as lines of `|`-separated cells (`domain::parse_*`); the back office
//! edits them as rows of inputs with 添加 / 删除 / 上移 buttons that work without JavaScript (the
//! form is posted with the operation and shown again, unsaved). Pure: no I/O.

/// One editable list of the item form: its form key, its cells, and which cells are checkboxes
/// (posted as present/absent, stored as 是/否).
pub struct List {
    pub key: &'static str,
    pub columns: &'static [&'static str],
    pub checkboxes: &'static [usize],
}

pub const MATERIALS: List = List {
    key: "materials",
    columns: &["材料名称", "材料形式", "份数", "必需", "来源", "备注", "空白表格地址", "示范文本地址"],
    checkboxes: &[3],
};
pub const FORM: List =
    List {
        key: "form", columns: &["标识", "名称", "类型", "必填", "选项（用;分隔）", "说明"], checkboxes: &[3]
    };
pub const STEPS: List = List { key: "steps", columns: &["办理步骤"], checkboxes: &[] };
/// A review step and whether it must be decided by someone other than the previous step's handler.
pub const REVIEW: List =
    List { key: "review_steps", columns: &["审查环节", "须由他人办理"], checkboxes: &[1] };
pub const FAQ: List = List { key: "faq", columns: &["问题", "解答"], checkboxes: &[] };

pub const LISTS: [&List; 5] = [&MATERIALS, &FORM, &STEPS, &REVIEW, &FAQ];

pub type Rows = Vec<Vec<String>>;

impl List {
    /// Splits stored lines into rows of exactly this list's cells.
    pub fn rows_of(&self, text: &str) -> Rows {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut cells: Vec<String> = l.split('|').map(|c| c.trim().to_owned()).collect();
                cells.resize(self.columns.len(), String::new());
                cells
            })
            .collect()
    }

    /// Joins rows into lines: rows without any text are dropped (an added row left empty), and
    /// a `|` typed into a cell becomes a full-width ｜ so it cannot split the cell.
    pub fn lines_of(&self, rows: &Rows) -> String {
        rows.iter()
            .filter(|r| r.iter().enumerate().any(|(i, c)| !self.checkboxes.contains(&i) && !c.trim().is_empty()))
            .map(|r| {
                let cells: Vec<String> = r.iter().map(|c| c.trim().replace('|', "｜")).collect();
                cells.join("|").trim_end_matches('|').to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The rows posted as `{key}.{row}.{cell}`, in row order; none when the form had no rows of
    /// this list (a client posting lines, like the API or an import).
    pub fn posted(&self, fields: &[(String, String)]) -> Option<Rows> {
        let prefix = format!("{}.", self.key);
        let count = fields
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(&prefix)?.split('.').next()?.parse::<usize>().ok())
            .max()
            .map(|m| m + 1);
        let marker = format!("{}.rows", self.key);
        if count.is_none() && !fields.iter().any(|(k, _)| *k == marker) {
            return None;
        }
        let rows = (0..count.unwrap_or(0))
            .map(|r| {
                (0..self.columns.len())
                    .map(|c| {
                        let name = format!("{}{r}.{c}", prefix);
                        let value = fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str());
                        if self.checkboxes.contains(&c) {
                            if value.is_some_and(|v| !v.is_empty() && v != "否") { "是" } else { "否" }.to_owned()
                        } else {
                            value.unwrap_or("").to_owned()
                        }
                    })
                    .collect()
            })
            .collect();
        Some(rows)
    }
}

/// A row operation from one of the editor's buttons (`add:materials`, `remove:faq:2`, `up:form:1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOp {
    Add(&'static str),
    Remove(&'static str, usize),
    Up(&'static str, usize),
}

impl RowOp {
    pub fn parse(s: &str) -> Option<RowOp> {
        let mut p = s.split(':');
        let (op, key) = (p.next()?, p.next()?);
        let key = LISTS.iter().find(|l| l.key == key)?.key;
        let row = p.next().and_then(|r| r.parse::<usize>().ok());
        match (op, row) {
            ("add", None) => Some(RowOp::Add(key)),
            ("remove", Some(r)) => Some(RowOp::Remove(key, r)),
            ("up", Some(r)) => Some(RowOp::Up(key, r)),
            _ => None,
        }
    }

    fn key(&self) -> &'static str {
        match self {
            RowOp::Add(k) | RowOp::Remove(k, _) | RowOp::Up(k, _) => k,
        }
    }

    /// Applies the operation to its list's rows; other lists are untouched, an index out of range
    /// changes nothing.
    pub fn apply(&self, list: &List, rows: &mut Rows) {
        if self.key() != list.key {
            return;
        }
        match *self {
            RowOp::Add(_) => {
                let mut row = vec![String::new(); list.columns.len()];
                for c in list.checkboxes {
                    row[*c] = if list.key == REVIEW.key { "否" } else { "是" }.to_owned();
                }
                rows.push(row);
            }
            RowOp::Remove(_, r) if r < rows.len() => {
                rows.remove(r);
            }
            RowOp::Up(_, r) if r > 0 && r < rows.len() => rows.swap(r - 1, r),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn lines_and_rows_round_trip() {
        let text = "营业执照|复印件|1|是|申请人自备|\n申请书|原件|1|否|||/banshi/items/A/blank";
        let rows = MATERIALS.rows_of(text);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.len() == 8));
        assert_eq!(rows[1][6], "/banshi/items/A/blank");
        assert_eq!(MATERIALS.rows_of(&MATERIALS.lines_of(&rows)), rows);
        // An empty added row is dropped; a typed | cannot split a cell.
        let mut rows = rows;
        rows.push(vec![
            String::new(),
            String::new(),
            String::new(),
            "是".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
        rows[0][5] = "加盖公章|骑缝章".into();
        let lines = MATERIALS.lines_of(&rows);
        assert_eq!(lines.lines().count(), 2);
        assert!(lines.starts_with("营业执照|复印件|1|是|申请人自备|加盖公章｜骑缝章"), "{lines}");
        assert_eq!(STEPS.lines_of(&STEPS.rows_of(" 申请\n\n受理 ")), "申请\n受理");
    }

    #[test]
    fn posted_rows_read_checkboxes_as_yes_and_no() {
        let f = posted(&[
            ("name", "x"),
            ("review_steps.0.0", "审核"),
            ("review_steps.1.0", "审批"),
            ("review_steps.1.1", "on"),
            ("faq.0.0", "要到现场吗"),
            ("faq.0.1", "不需要"),
        ]);
        assert_eq!(REVIEW.posted(&f).unwrap(), [["审核", "否"], ["审批", "是"]]);
        assert_eq!(FAQ.lines_of(&FAQ.posted(&f).unwrap()), "要到现场吗|不需要");
        assert_eq!(MATERIALS.posted(&f), None, "no rows posted: the text field stands");
        assert_eq!(MATERIALS.posted(&posted(&[("materials.rows", "")])), Some(vec![]), "every row removed");
    }

    #[test]
    fn row_operations() {
        assert_eq!(RowOp::parse("add:materials"), Some(RowOp::Add("materials")));
        assert_eq!(RowOp::parse("remove:faq:2"), Some(RowOp::Remove("faq", 2)));
        assert_eq!(RowOp::parse("up:form:1"), Some(RowOp::Up("form", 1)));
        for bad in ["add:nothing", "remove:faq", "up:form:x", "drop:faq:1", ""] {
            assert_eq!(RowOp::parse(bad), None, "{bad}");
        }
        let mut rows: Rows = vec![vec!["甲".into(), "否".into()], vec!["乙".into(), "是".into()]];
        RowOp::Up("review_steps", 1).apply(&REVIEW, &mut rows);
        assert_eq!(rows[0][0], "乙");
        RowOp::Up("review_steps", 0).apply(&REVIEW, &mut rows);
        RowOp::Remove("review_steps", 5).apply(&REVIEW, &mut rows);
        RowOp::Remove("faq", 0).apply(&REVIEW, &mut rows);
        assert_eq!(rows.len(), 2, "out of range or another list: unchanged");
        RowOp::Add("review_steps").apply(&REVIEW, &mut rows);
        assert_eq!(rows[2], ["", "否"]);
        RowOp::Remove("review_steps", 0).apply(&REVIEW, &mut rows);
        assert_eq!(rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["甲", ""]);
        let mut m: Rows = Vec::new();
        RowOp::Add("materials").apply(&MATERIALS, &mut m);
        assert_eq!(m[0][3], "是", "a new material is required unless unticked");
    }
}

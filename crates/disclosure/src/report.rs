//! The 政府信息公开工作年度报告 (国办公开办函〔2021〕30号) of one agency and year: table 三 counted
//! from the requests plus any hand-entered rows, tables 二 and 四 and the free-text sections as
//! entered, the balance check, and the report as rows for the page, the xlsx and the API.

use std::collections::BTreeMap;

use platform::db::Db;
use platform::db::DbResult;
use serde::{Deserialize, Serialize};

use crate::domain::{ApplicantKind, Outcome, TABLE4_BLOCKS, TABLE4_COLUMNS, Table3, Table4};
use crate::store::{self, ReportRow};

/// The free-text sections a report has besides its tables.
pub const SECTIONS: [(&str, &str); 4] = [
    ("overview", "一、总体情况"),
    ("proactive", "二、主动公开政府信息情况（说明）"),
    ("problems", "五、存在的主要问题及改进情况"),
    ("other", "六、其他需要报告的事项"),
];

/// Table 二's rows (Art. 20 items) and what each counts.
pub const TABLE2_ROWS: [(&str, &str, &str); 6] = [
    ("rules", "第二十条第（一）项", "规章"),
    ("normative", "第二十条第（一）项", "行政规范性文件"),
    ("licensing", "第二十条第（五）项", "行政许可"),
    ("penalty", "第二十条第（六）项", "行政处罚"),
    ("enforcement", "第二十条第（六）项", "行政强制"),
    ("charges", "第二十条第（八）项", "行政事业性收费"),
];

/// Table 二 as entered: the documents rows have 本年制发, 本年废止, 现行有效; the decision rows
/// 本年处理决定数量; the charges row 本年收费金额（万元）, kept as text to keep its decimals.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Table2 {
    #[serde(default)]
    pub rows: BTreeMap<String, Vec<String>>,
}

/// The parts of a report the office writes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Written {
    #[serde(default)]
    pub sections: BTreeMap<String, String>,
    #[serde(default)]
    pub table2: Table2,
    /// Hand-entered additions to table 三, by row key (see [`Table3::row_keys`]).
    #[serde(default)]
    pub table3_extra: BTreeMap<String, [i64; 6]>,
    #[serde(default)]
    pub table4: Table4,
}

impl Written {
    pub fn of_row(r: &ReportRow) -> Written {
        Written {
            sections: serde_json::from_str(&r.sections).unwrap_or_default(),
            table2: serde_json::from_str(&r.table2).unwrap_or_default(),
            table3_extra: serde_json::from_str(&r.table3_extra).unwrap_or_default(),
            table4: serde_json::from_str(&r.table4).unwrap_or_default(),
        }
    }
}

/// JSON text of a written part, as stored (they serialise without failing).
pub fn json_text<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// A report as shown and exported.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub org_id: i64,
    pub agency: String,
    pub year: i32,
    pub written: Written,
    pub table3: Table3,
    /// Table 四: the written counts plus the 复议/诉讼 entered against requests.
    pub table4: Table4,
    /// Table 三 as rows of labelled cells: (row label, 6 applicant columns, 法人小计, 总计).
    pub table3_rows: Vec<Table3Row>,
    /// The balance check's complaints (a report with any is not published).
    pub errors: Vec<String>,
    pub fees_yuan: i64,
    pub published_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table3Row {
    pub label: String,
    /// Indentation level (三's sub-rows).
    pub level: u8,
    pub cells: Vec<i64>,
    pub key: String,
}

/// Makes the report of `org` for `year` from the requests and the written parts.
pub async fn build(db: &Db, org_id: i64, agency: &str, year: i32) -> DbResult<Report> {
    let row = store::report(db, org_id, year).await?;
    let written = row.as_ref().map(Written::of_row).unwrap_or_default();
    let mut table3 = Table3::empty(year);
    for (c, n) in store::counted(db, org_id, year).await? {
        table3.count(c, n);
    }
    let mut errors = Vec::new();
    for (key, values) in &written.table3_extra {
        if let Err(e) = table3.add_row(key, values) {
            errors.push(e);
        }
    }
    errors.extend(table3.balance_errors());
    let mut table4 = written.table4.clone();
    for (kind, result, n) in store::review_counts(db, org_id, year).await? {
        table4.count(&kind, &result, n);
    }
    Ok(Report {
        table4,
        org_id,
        agency: agency.to_owned(),
        year,
        table3_rows: table3_rows(&table3),
        table3,
        written,
        errors,
        fees_yuan: store::fees_collected(db, org_id, year).await?,
        published_at: row.and_then(|r| r.published_at),
    })
}

/// The eight numbers of a row: six applicant columns, the 法人或其他组织 subtotal, the total.
fn cells(v: &[i64; 6]) -> Vec<i64> {
    let mut out = v.to_vec();
    let orgs: i64 = v[1..].iter().sum();
    out.push(orgs);
    out.push(v[0] + orgs);
    out
}

fn table3_rows(t: &Table3) -> Vec<Table3Row> {
    let row = |label: &str, level: u8, v: &[i64; 6], key: &str| Table3Row {
        label: label.to_owned(),
        level,
        cells: cells(v),
        key: key.to_owned(),
    };
    let mut rows = vec![
        row("一、本年新收政府信息公开申请数量", 0, &t.new, "new"),
        row("二、上年结转政府信息公开申请数量", 0, &t.carried_in, "carried_in"),
    ];
    rows.push(Table3Row {
        label: "三、本年度办理结果".into(), level: 0, cells: Vec::new(), key: String::new()
    });
    let mut group = "";
    let mut n = 0;
    for (o, v) in Outcome::ALL.iter().zip(&t.results) {
        if matches!(o, Outcome::Disclosed | Outcome::PartlyDisclosed) {
            rows.push(row(o.group(), 1, v, o.code()));
            continue;
        }
        if o.group() != group {
            group = o.group();
            n = 0;
            rows.push(Table3Row { label: group.to_owned(), level: 1, cells: Vec::new(), key: String::new() });
        }
        n += 1;
        rows.push(row(&format!("{n}. {}", o.label()), 2, v, o.code()));
    }
    rows.push(row("（七）总计", 1, &t.results_total(), "total"));
    rows.push(row("四、结转下年度继续办理", 0, &t.carried_out, "carried_out"));
    rows
}

/// The column headings of table 三.
pub fn table3_columns() -> Vec<&'static str> {
    let mut cols: Vec<&str> = ApplicantKind::ALL.iter().map(|k| k.label()).collect();
    cols.push("法人或其他组织小计");
    cols.push("总计");
    cols
}

/// Table 四 as rows for the page: block, four results and the total.
pub fn table4_rows(t: &Table4) -> Vec<(String, Vec<i64>)> {
    TABLE4_BLOCKS
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut v = t.blocks[i].to_vec();
            v.push(t.total(i));
            ((*b).to_owned(), v)
        })
        .collect()
}

pub fn table4_columns() -> Vec<&'static str> {
    let mut c = TABLE4_COLUMNS.to_vec();
    c.push("总计");
    c
}

/// The report as an xlsx workbook: table 三 with its labels, table 四, and the balance errors.
pub fn xlsx(r: &Report) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::Workbook;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("表三 依申请公开")?;
    sheet.write_string(
        0,
        0,
        format!("{} {} 年政府信息公开工作年度报告 · 收到和处理政府信息公开申请情况", r.agency, r.year),
    )?;
    sheet.write_string(1, 0, "项目")?;
    for (i, c) in table3_columns().iter().enumerate() {
        sheet.write_string(1, u16::try_from(i + 1).unwrap_or(0), *c)?;
    }
    for (ri, row) in r.table3_rows.iter().enumerate() {
        let line = u32::try_from(ri + 2).unwrap_or(0);
        sheet.write_string(line, 0, format!("{}{}", "  ".repeat(usize::from(row.level)), row.label))?;
        for (ci, v) in row.cells.iter().enumerate() {
            sheet.write_number(line, u16::try_from(ci + 1).unwrap_or(0), *v as f64)?;
        }
    }
    sheet.set_column_width(0, 48)?;
    let t4 = book.add_worksheet();
    t4.set_name("表四 复议诉讼")?;
    t4.write_string(0, 0, "类别")?;
    for (i, c) in table4_columns().iter().enumerate() {
        t4.write_string(0, u16::try_from(i + 1).unwrap_or(0), *c)?;
    }
    for (ri, (label, values)) in table4_rows(&r.table4).iter().enumerate() {
        let line = u32::try_from(ri + 1).unwrap_or(0);
        t4.write_string(line, 0, label)?;
        for (ci, v) in values.iter().enumerate() {
            t4.write_number(line, u16::try_from(ci + 1).unwrap_or(0), *v as f64)?;
        }
    }
    t4.set_column_width(0, 32)?;
    if !r.errors.is_empty() {
        let e = book.add_worksheet();
        e.set_name("校验错误")?;
        for (i, m) in r.errors.iter().enumerate() {
            e.write_string(u32::try_from(i).unwrap_or(0), 0, m)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Counted;

    #[test]
    fn rows_cover_every_outcome_once_with_subtotals() {
        let mut t = Table3::empty(2026);
        t.count(
            Counted {
                applicant: ApplicantKind::Research,
                received_year: 2026,
                decided: Some((Outcome::Disclosed, 2026)),
            },
            3,
        );
        let rows = table3_rows(&t);
        let outcome_rows = rows.iter().filter(|r| Outcome::parse(&r.key).is_some()).count();
        assert_eq!(outcome_rows, Outcome::ALL.len());
        let disclosed = rows.iter().find(|r| r.key == "disclosed").map(|r| r.cells.clone());
        // 自然人 0, 科研机构 3, 法人小计 3, 总计 3.
        assert_eq!(disclosed, Some(vec![0, 0, 3, 0, 0, 0, 3, 3]));
        assert_eq!(rows.last().map(|r| r.key.as_str()), Some("carried_out"));
        assert!(rows.iter().any(|r| r.label == "（三）不予公开"));
    }
}

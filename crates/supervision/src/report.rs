//! The quarterly self-check report (自查报告) as a workbook: the verdict, every veto item with its
//! count, every deduction indicator with its points, and the list of problems with where each is
//! fixed — the table provinces ask sites to return each quarter.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::indicators;
use crate::monitor::SiteReport;

pub fn self_check_xlsx(s: &SiteReport, at: i64) -> Result<Vec<u8>, XlsxError> {
    let a = &s.assessment;
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("自查结论")?;
    let facts = [
        ("网站名称", s.site.name.clone()),
        ("检查时间", platform::fmt_time(at)),
        ("结论", a.verdict.label().to_owned()),
        ("扣分指标得分", format!("{:.1}", a.score)),
        ("单项否决项", a.vetoes_reached().to_string()),
        ("问题数", a.problems.to_string()),
        ("预警数", a.warnings.to_string()),
    ];
    for (r, (k, v)) in facts.iter().enumerate() {
        ws.write_string_with_format(r as u32, 0, *k, &bold)?;
        ws.write_string(r as u32, 1, v)?;
    }
    let start = facts.len() as u32 + 1;
    for (c, h) in ["单项否决指标", "判定标准", "发现数", "结果"].iter().enumerate() {
        ws.write_string_with_format(start, c as u16, *h, &bold)?;
    }
    for (i, v) in a.vetoes.iter().enumerate() {
        let r = start + 1 + i as u32;
        ws.write_string(r, 0, v.rule.label)?;
        ws.write_string(r, 1, v.rule.rule)?;
        ws.write_number(r, 2, v.count as f64)?;
        ws.write_string(r, 3, if v.reached { "否决" } else { "通过" })?;
    }
    ws.set_column_width(0, 22)?;
    ws.set_column_width(1, 60)?;

    let ws = wb.add_worksheet();
    ws.set_name("扣分指标")?;
    for (c, h) in ["类别", "指标", "问题数", "扣分", "分值上限"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let scored = indicators::all().filter(|i| i.points > 0.0);
    for (n, i) in scored.enumerate() {
        let r = n as u32 + 1;
        let d = a.deductions.iter().find(|d| d.indicator.key == i.key);
        ws.write_string(r, 0, i.category)?;
        ws.write_string(r, 1, i.label)?;
        ws.write_number(r, 2, d.map_or(0, |d| d.count) as f64)?;
        ws.write_number(r, 3, d.map_or(0.0, |d| d.points))?;
        ws.write_number(r, 4, i.cap)?;
    }
    ws.set_column_width(1, 36)?;

    let ws = wb.add_worksheet();
    ws.set_name("问题清单")?;
    for (c, h) in ["指标", "对象", "情况", "类型", "处理位置"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (n, f) in s.findings.iter().enumerate() {
        let r = n as u32 + 1;
        ws.write_string(r, 0, indicators::indicator(&f.indicator).map_or(f.indicator.as_str(), |i| i.label))?;
        ws.write_string(r, 1, &f.subject)?;
        ws.write_string(r, 2, &f.detail)?;
        ws.write_string(r, 3, if f.warning { "预警" } else { "问题" })?;
        ws.write_string(r, 4, &f.fix_url)?;
    }
    ws.set_column_width(1, 40)?;
    ws.set_column_width(2, 50)?;
    wb.save_to_buffer()
}

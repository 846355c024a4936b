//! The service catalogue as a spreadsheet, the way departments keep it: one row per item, one
//! column per guide element under its Chinese heading, lists (materials, form fields, steps,
//! FAQ) as one line per entry inside the cell. Written with rust_xlsxwriter (the export doubles
//! as the template) and read back with calamine; the rows become the same `ItemForm`s the editor
//! and the JSON import save. No I/O beyond the bytes given.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::service::ItemForm;

/// (ItemForm field, column heading). Yes/no columns take 是/否.
pub const COLUMNS: [(&str, &str); 31] = [
    ("code", "事项编码"),
    ("impl_code", "实施编码"),
    ("name", "事项名称"),
    ("kind", "事项类型"),
    ("org_code", "实施机构代码"),
    ("dept", "受理科室"),
    ("audience", "服务对象"),
    ("themes", "主题分类"),
    ("life_events", "人生事件"),
    ("basis", "设定依据"),
    ("conditions", "申请条件"),
    ("materials", "申请材料"),
    ("steps", "办理流程"),
    ("notes", "重要提示"),
    ("legal_days", "法定办结时限"),
    ("promised_days", "承诺办结时限"),
    ("fee", "是否收费"),
    ("fee_standard", "收费标准"),
    ("fee_basis", "收费依据"),
    ("place", "办理地点"),
    ("hours", "办理时间"),
    ("visits", "到现场次数"),
    ("online_depth", "网办深度"),
    ("consult_phone", "咨询电话"),
    ("complaint_phone", "监督投诉电话"),
    ("faq", "常见问题"),
    ("online", "可网上申请"),
    ("form", "申请表字段"),
    ("review_steps", "审查环节"),
    ("distinct_steps", "须由他人办理的环节"),
    ("published", "发布"),
];

const YES_NO: [&str; 3] = ["fee", "online", "published"];

/// 服务对象 as people read it.
const AUDIENCES: [(&str, &str); 3] = [("person", "个人"), ("org", "法人"), ("both", "个人和法人")];

/// A field's value (from the item serialised once) as the spreadsheet shows it.
fn cell_of(item: &serde_json::Value, key: &str) -> String {
    match &item[key] {
        serde_json::Value::String(s) if key == "audience" => {
            AUDIENCES.iter().find(|a| a.0 == s).map_or(s.clone(), |a| a.1.to_owned())
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null if YES_NO.contains(&key) => "否".to_owned(),
        _ if YES_NO.contains(&key) => "是".to_owned(),
        _ => String::new(),
    }
}

/// The catalogue as an .xlsx workbook (headings bold and frozen, lists wrapped in their cells).
pub fn workbook(items: &[ItemForm]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let head = rust_xlsxwriter::Format::new().set_bold().set_background_color("DCE6F1");
    let wrap = rust_xlsxwriter::Format::new().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top);
    let ws = wb.add_worksheet().set_name("办事事项")?;
    for (c, (_, label)) in COLUMNS.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(0);
        ws.write_string_with_format(0, c, *label, &head)?;
        ws.set_column_width(c, 18)?;
    }
    ws.set_freeze_panes(1, 3)?;
    for (r, item) in items.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        let item = serde_json::to_value(item).unwrap_or_default();
        for (c, (key, _)) in COLUMNS.iter().enumerate() {
            ws.write_string_with_format(r, u16::try_from(c).unwrap_or(0), cell_of(&item, key), &wrap)?;
        }
    }
    wb.save_to_buffer()
}

/// Reads a catalogue workbook's first sheet into item forms. Columns are found by heading (or by
/// field name), in any order; unknown columns are ignored; a missing 事项编码 or 事项名称 column,
/// or a file that is not a workbook, is a message for the person who uploaded it.
pub fn read(bytes: &[u8]) -> Result<Vec<ItemForm>, String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| "不是有效的 Excel 工作簿（.xlsx）".to_owned())?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| "工作簿里没有工作表".to_owned())?
        .map_err(|e| format!("无法读取工作表：{e}"))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().ok_or("工作表是空的")?.iter().map(text).collect();
    let at: Vec<Option<&str>> = header
        .iter()
        .map(|h| COLUMNS.iter().find(|(key, label)| h == label || h == key).map(|(key, _)| *key))
        .collect();
    for needed in ["code", "name"] {
        if !at.contains(&Some(needed)) {
            let label = COLUMNS.iter().find(|c| c.0 == needed).map_or("", |c| c.1);
            return Err(format!("第 1 行缺少「{label}」列（请使用导出的表格作为模板）"));
        }
    }
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        let mut obj = serde_json::Map::new();
        for (cell, key) in row.iter().zip(&at) {
            let Some(key) = key else { continue };
            let v = text(cell);
            let v = v.trim();
            let value = if YES_NO.contains(key) {
                if matches!(v, "是" | "on" | "1" | "true") { serde_json::json!("on") } else { serde_json::Value::Null }
            } else if *key == "audience" {
                serde_json::json!(AUDIENCES.iter().find(|a| a.1 == v).map_or(v, |a| a.0))
            } else {
                serde_json::json!(v)
            };
            obj.insert((*key).to_owned(), value);
        }
        if obj.values().all(|v| v.as_str().is_none_or(str::is_empty)) {
            continue;
        }
        let item: ItemForm = serde_json::from_value(serde_json::Value::Object(obj))
            .map_err(|e| format!("第 {} 行无法读取：{e}", n + 2))?;
        out.push(item);
    }
    if out.is_empty() {
        return Err("表格里没有事项（第 2 行起每行一个事项）".into());
    }
    Ok(out)
}

/// A cell as text: numbers without a trailing .0 (时限 and 份数 are typed as numbers in Excel).
fn text(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> ItemForm {
        ItemForm {
            code: "230100-SCJ-004".into(),
            name: "食品经营许可".into(),
            kind: "行政许可".into(),
            org_code: "SCJ".into(),
            audience: "org".into(),
            materials: "营业执照|复印件|1|是\n食品安全管理制度|原件|1|是".into(),
            legal_days: "20".into(),
            promised_days: "7".into(),
            review_steps: "审核\n审批".into(),
            distinct_steps: Some("审批".into()),
            online: Some("on".into()),
            ..ItemForm::default()
        }
    }

    #[test]
    fn the_export_reads_back_as_the_same_items() {
        let bytes = workbook(&[item()]).unwrap();
        let back = read(&bytes).unwrap();
        assert_eq!(back.len(), 1);
        let b = &back[0];
        assert_eq!((b.code.as_str(), b.name.as_str(), b.audience.as_str()), ("230100-SCJ-004", "食品经营许可", "org"));
        assert_eq!(b.materials, item().materials, "lists survive inside their cells");
        assert_eq!((b.online.as_deref(), b.fee.as_deref(), b.published.as_deref()), (Some("on"), None, None));
        assert_eq!(b.distinct_steps.as_deref(), Some("审批"));
        assert_eq!(b.promised_days, "7");
    }

    #[test]
    fn a_sheet_typed_by_hand_is_read_by_heading() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        // Columns in another order, numbers typed as numbers, an unknown column and a blank row.
        for (c, h) in
            ["事项名称", "备注（内部）", "事项编码", "承诺办结时限", "服务对象", "是否收费"].iter().enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "新生儿入户").unwrap();
        ws.write_string(1, 1, "不导入").unwrap();
        ws.write_string(1, 2, "230100-GAJ-002").unwrap();
        ws.write_number(1, 3, 3.0).unwrap();
        ws.write_string(1, 4, "个人").unwrap();
        ws.write_string(1, 5, "否").unwrap();
        ws.write_string(3, 0, "婚姻登记").unwrap();
        ws.write_string(3, 2, "230100-MZJ-001").unwrap();
        let items = read(&wb.save_to_buffer().unwrap()).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            (items[0].promised_days.as_str(), items[0].audience.as_str(), items[0].fee.as_deref()),
            ("3", "person", None)
        );
        assert_eq!(items[1].name, "婚姻登记");
    }

    #[test]
    fn bad_files_are_named() {
        assert!(read(b"%PDF-1.4").unwrap_err().contains("不是有效的 Excel"));
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().write_string(0, 0, "事项名称").unwrap();
        assert!(read(&wb.save_to_buffer().unwrap()).unwrap_err().contains("缺少「事项编码」列"));
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "事项名称").unwrap();
        ws.write_string(0, 1, "事项编码").unwrap();
        assert!(read(&wb.save_to_buffer().unwrap()).unwrap_err().contains("没有事项"));
    }
}

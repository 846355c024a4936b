//! Reading a source file as a heading row and rows of text cells: CSV in UTF-8 (with or without a
//! BOM) or GBK/GB18030 — detected, since our publishers save from Excel on Chinese Windows —, xlsx
//! (the first sheet) and JSON (an array of objects). UTF-8 CSV files are streamed, so a large
//! registry file is never held in memory whole.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Xlsx => "XLSX",
            Format::Json => "JSON",
        }
    }

    /// By content first (an xlsx is a zip, JSON starts with `[`), then by the name's extension.
    pub fn detect(name: &str, head: &[u8]) -> Option<Format> {
        if head.starts_with(b"PK\x03\x04") {
            return Some(Format::Xlsx);
        }
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Some(Format::Json);
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".json") || lower.ends_with(".xls") {
            return None;
        }
        Some(Format::Csv)
    }
}

/// A file opened for reading: its headings, encoding and rows.
pub struct Table {
    pub format: Format,
    /// UTF-8 or GB18030 (which reads GBK and GB2312 as well).
    pub encoding: &'static str,
    pub headers: Vec<String>,
    rows: Rows,
    /// The next row's line number (the heading is line 1).
    next_row: u64,
}

enum Rows {
    Csv(csv::StringRecordsIntoIter<Box<dyn Read + Send>>),
    Cells(std::vec::IntoIter<Vec<String>>),
}

/// One row: its line number and cells, or why the line could not be read.
pub type Row = (u64, Result<Vec<String>, String>);

impl Iterator for Table {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        let row = self.next_row;
        self.next_row += 1;
        let cells = match &mut self.rows {
            Rows::Csv(it) => it.next()?.map(|r| r.iter().map(str::to_owned).collect()).map_err(|e| match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "这一行有无法识别的字符（文件编码不一致）".to_owned(),
                _ => format!("这一行无法读取：{e}"),
            }),
            Rows::Cells(it) => Ok(it.next()?),
        };
        Some((row, cells))
    }
}

const HEAD: usize = 64 * 1024;

/// True when `head` (the start of a file, possibly cut inside a character) is UTF-8.
fn looks_utf8(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // Cut in the middle of a character at the end of the sample: still UTF-8.
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// Opens a file on disk (the command line, scheduled runs from a watched folder).
pub fn open_path(path: &std::path::Path) -> Result<Table, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut file = std::fs::File::open(path).map_err(|e| format!("无法打开文件 {}：{e}", path.display()))?;
    let mut head = vec![0u8; HEAD];
    let mut filled = 0;
    while filled < HEAD {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => return Err(format!("读取文件失败：{e}")),
        }
    }
    head.truncate(filled);
    let format = Format::detect(&name, &head).ok_or("只能导入 CSV、XLSX 或 JSON 文件")?;
    if format == Format::Csv && looks_utf8(&head) {
        // Stream: the sample, then the rest of the file.
        let start = if head.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let reader: Box<dyn Read + Send> = Box::new(Cursor::new(head).chain(file));
        return csv_table(reader, start, "UTF-8");
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes).map_err(|e| format!("读取文件失败：{e}"))?;
    open_bytes(&name, bytes)
}

/// Opens a file held in memory (an upload).
pub fn open_bytes(name: &str, bytes: Vec<u8>) -> Result<Table, String> {
    let format = Format::detect(name, &bytes[..bytes.len().min(HEAD)]).ok_or("只能导入 CSV、XLSX 或 JSON 文件")?;
    match format {
        Format::Csv => {
            if looks_utf8(&bytes[..bytes.len().min(HEAD)]) {
                let start = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
                csv_table(Box::new(Cursor::new(bytes)), start, "UTF-8")
            } else {
                let (text, _) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
                csv_table(Box::new(Cursor::new(text.into_owned().into_bytes())), 0, "GB18030")
            }
        }
        Format::Xlsx => xlsx_table(bytes),
        Format::Json => json_table(&bytes),
    }
}

fn csv_table(mut reader: Box<dyn Read + Send>, skip: usize, encoding: &'static str) -> Result<Table, String> {
    if skip > 0 {
        let mut bom = vec![0u8; skip];
        reader.read_exact(&mut bom).map_err(|e| format!("读取文件失败：{e}"))?;
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|_| "文件第 1 行（列名）无法读取，请确认是 CSV 文件".to_owned())?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err("文件第 1 行应是列名".into());
    }
    Ok(Table { format: Format::Csv, encoding, headers, rows: Rows::Csv(rdr.into_records()), next_row: 2 })
}

/// A cell as text: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::DateTime(dt) => excel_date(dt.as_f64()).unwrap_or_else(|| d.to_string()),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
pub fn excel_date(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let epoch = time::macros::date!(1899 - 12 - 30);
    let d = epoch.checked_add(time::Duration::days(serial.floor() as i64))?;
    Some(format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
}

fn xlsx_table(bytes: Vec<u8>) -> Result<Table, String> {
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| "无法读取这个 XLSX 文件")?;
    let range =
        wb.worksheet_range_at(0).ok_or("XLSX 文件里没有工作表")?.map_err(|_| "无法读取 XLSX 文件的第一个工作表")?;
    let mut rows = range.rows();
    let headers: Vec<String> =
        rows.next().ok_or("工作表是空的")?.iter().map(|c| cell_text(c).trim().to_owned()).collect();
    let body: Vec<Vec<String>> = rows.map(|r| r.iter().map(cell_text).collect()).collect();
    Ok(Table { format: Format::Xlsx, encoding: "UTF-8", headers, rows: Rows::Cells(body.into_iter()), next_row: 2 })
}

fn json_table(bytes: &[u8]) -> Result<Table, String> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| format!("JSON 文件格式不正确（第 {} 行）", e.line()))?;
    let items = value.as_array().ok_or("JSON 文件应是一个数组，每个元素是一条记录")?;
    let mut headers: Vec<String> = Vec::new();
    for item in items {
        if let Some(obj) = item.as_object() {
            for k in obj.keys() {
                if !headers.contains(k) {
                    headers.push(k.clone());
                }
            }
        }
    }
    let body: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            headers
                .iter()
                .map(|h| match item.get(h) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect()
        })
        .collect();
    Ok(Table { format: Format::Json, encoding: "UTF-8", headers, rows: Rows::Cells(body.into_iter()), next_row: 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: Table) -> Vec<Row> {
        t.collect()
    }

    #[test]
    fn utf8_csv_with_bom() {
        let t = open_bytes("a.csv", "\u{feff}名称,代码\n冰城,1\n松花江,2\n".as_bytes().to_vec()).unwrap();
        assert_eq!((t.format, t.encoding), (Format::Csv, "UTF-8"));
        assert_eq!(t.headers, vec!["名称", "代码"]);
        let r = rows(t);
        assert_eq!(r[0], (2, Ok(vec!["冰城".into(), "1".into()])));
        assert_eq!(r[1].0, 3);
    }

    #[test]
    fn gbk_csv_is_detected_and_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("名称,地址\n哈尔滨冰城机械有限公司,道里区中央大街\n");
        let t = open_bytes("企业.csv", gbk.into_owned()).unwrap();
        assert_eq!(t.encoding, "GB18030");
        assert_eq!(t.headers, vec!["名称", "地址"]);
        assert_eq!(rows(t)[0].1.as_ref().unwrap()[0], "哈尔滨冰城机械有限公司");
    }

    #[test]
    fn a_sample_cut_inside_a_character_is_still_utf8() {
        let s = "中".repeat(30_000);
        let b = s.as_bytes();
        assert!(looks_utf8(&b[..HEAD]));
        assert!(!looks_utf8(&encoding_rs::GBK.encode(&s).0[..1000]));
    }

    #[test]
    fn json_arrays_of_objects() {
        let t = open_bytes("x.json", br#"[{"a":"1","b":2},{"b":null,"c":true}]"#.to_vec()).unwrap();
        assert_eq!(t.headers, vec!["a", "b", "c"]);
        let r = rows(t);
        assert_eq!(r[0].1.as_ref().unwrap(), &vec!["1".to_owned(), "2".into(), "".into()]);
        assert_eq!(r[1].1.as_ref().unwrap(), &vec!["".to_owned(), "".into(), "true".into()]);
        assert!(open_bytes("x.json", b"{\"a\":1}".to_vec()).is_err());
        assert!(open_bytes("x.json", b"[1,".to_vec()).is_err());
    }

    #[test]
    fn xlsx_first_sheet_with_dates() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "名称").unwrap();
        ws.write_string(0, 1, "成立日期").unwrap();
        ws.write_string(0, 2, "资本").unwrap();
        ws.write_string(1, 0, "冰城").unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 5).unwrap();
        ws.write_datetime_with_format(1, 1, &d, &fmt).unwrap();
        ws.write_number(1, 2, 500.0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let t = open_bytes("企业.xlsx", bytes).unwrap();
        assert_eq!(t.format, Format::Xlsx);
        assert_eq!(t.headers, vec!["名称", "成立日期", "资本"]);
        assert_eq!(rows(t)[0].1.as_ref().unwrap(), &vec!["冰城".to_owned(), "2024-03-05".into(), "500".into()]);
    }

    #[test]
    fn formats_and_bad_files() {
        assert_eq!(Format::detect("a.txt", b"a,b"), Some(Format::Csv));
        assert_eq!(Format::detect("a.xlsx", b"PK\x03\x04"), Some(Format::Xlsx));
        assert_eq!(Format::detect("a.xls", b"\xD0\xCF\x11\xE0"), None);
        assert!(open_bytes("a.csv", Vec::new()).is_err());
        assert!(open_bytes("a.xlsx", b"PK\x03\x04garbage".to_vec()).is_err());
        assert_eq!(excel_date(45356.0).as_deref(), Some("2024-03-05"));
        assert_eq!(excel_date(-1.0), None);
    }

    #[test]
    fn streamed_files_read_like_uploads() {
        let dir = std::env::temp_dir().join(format!("zw-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.csv");
        let mut text = String::from("\u{feff}名称,代码\n");
        for i in 0..20_000 {
            text.push_str(&format!("企业{i},{i}\n"));
        }
        std::fs::write(&p, &text).unwrap();
        let t = open_path(&p).unwrap();
        assert_eq!(t.headers, vec!["名称", "代码"]);
        let r = rows(t);
        assert_eq!(r.len(), 20_000);
        assert_eq!(r[19_999], (20_001, Ok(vec!["企业19999".into(), "19999".into()])));
        let (gbk, _, _) = encoding_rs::GBK.encode(&text[3..]);
        std::fs::write(&p, &gbk).unwrap();
        let t = open_path(&p).unwrap();
        assert_eq!(t.encoding, "GB18030");
        assert_eq!(rows(t).len(), 20_000);
        std::fs::remove_dir_all(&dir).ok();
    }
}

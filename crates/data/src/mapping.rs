//! Pure: what a target's records look like ([`Schema`] of [`FieldSpec`]s), how a source's columns
//! map onto its fields ([`Mapping`]), and turning one row of a file into a normalised record or
//! the reasons it is rejected (row, column, value, reason). Types are checked on every row of the
//! whole file — never guessed from the first rows — and each record carries a digest so a re-import
//! can tell unchanged rows from changed ones.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A field's type, which decides how a cell is checked and normalised.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    /// Free text up to this many characters.
    Text(usize),
    /// A calendar date, stored `YYYY-MM-DD`; typed as 2024-03-05, 2024/3/5, 2024.3.5, 20240305 or
    /// 2024年3月5日.
    Date,
    /// A decimal number (thousands separators allowed), stored as written without separators.
    Decimal,
    /// 统一社会信用代码 (GB 32100, with its check character).
    CreditCode,
    /// 公民身份号码 (GB 11643, 18 characters with its check character), stored upper-case.
    IdNumber,
    /// A phone number (mobile or landline).
    Phone,
    /// One code of a table; the code or its label may be typed.
    Code(&'static [(&'static str, &'static str)]),
    /// Degrees of longitude or latitude within these bounds (China's extent), stored with six
    /// decimals (about 0.1 m).
    Degrees(f64, f64),
    /// A web address a public page links to: `http(s)://…` or a path on our own site (`/banshi/`).
    /// Anything else (`javascript:`, `//host`) is refused, since the page renders it as a link.
    Link,
}

/// One field of a target.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// Shown on public pages and in open datasets.
    pub public: bool,
    /// Other column headings a registry's export uses for it.
    pub aliases: &'static [&'static str],
}

/// A target's fields and which of them is the key that makes re-imports idempotent.
#[derive(Debug)]
pub struct Schema {
    pub fields: &'static [FieldSpec],
    pub key: &'static str,
    /// The file's columns no field maps are kept with the record (a department's own fields —
    /// the population database keeps hundreds) instead of being ignored.
    pub keeps_other_columns: bool,
}

impl Schema {
    pub fn field(&self, key: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn key_index(&self) -> usize {
        self.fields.iter().position(|f| f.key == self.key).unwrap_or(0)
    }
}

/// Where one field comes from in a source's files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ColumnMap {
    /// 字段
    pub field: String,
    /// 文件中的列名（空表示不导入该字段）
    #[serde(default)]
    pub column: String,
    /// 代码对照：文件中的值 → 代码（如 “制造” → C）
    #[serde(default)]
    pub lookup: BTreeMap<String, String>,
}

/// A source's saved mapping: one entry per field it fills.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Mapping(pub Vec<ColumnMap>);

impl Mapping {
    /// The mapping a new source starts with: each field from the column named like it (its label,
    /// its key or an alias).
    pub fn guess(schema: &Schema, headers: &[String]) -> Mapping {
        Mapping(
            schema
                .fields
                .iter()
                .map(|f| {
                    let column = headers
                        .iter()
                        .find(|h| {
                            let h = h.trim();
                            h == f.label || h == f.key || f.aliases.contains(&h)
                        })
                        .cloned()
                        .unwrap_or_default();
                    ColumnMap { field: f.key.into(), column, lookup: BTreeMap::new() }
                })
                .collect(),
        )
    }

    /// The column a field is read from ("" when none).
    pub fn column_of(&self, field: &str) -> &str {
        self.0.iter().find(|c| c.field == field).map_or("", |c| c.column.as_str())
    }

    /// Binds the mapping to a file's headings: for each schema field, the index of its column.
    /// Errors name every required field without a column and every mapped column the file lacks.
    pub fn bind(&self, schema: &'static Schema, headers: &[String]) -> Result<Bound, Vec<String>> {
        let mut errors = Vec::new();
        let mut columns = Vec::with_capacity(schema.fields.len());
        for f in schema.fields {
            let entry = self.0.iter().find(|c| c.field == f.key);
            let column = entry.map(|c| c.column.trim()).unwrap_or("");
            if column.is_empty() {
                if f.required {
                    errors.push(format!("必填字段“{}”没有对应的列，请在字段对照中指定", f.label));
                }
                columns.push(None);
                continue;
            }
            match headers.iter().position(|h| h.trim() == column) {
                Some(i) => columns.push(Some(i)),
                None => {
                    errors.push(format!("文件中没有“{column}”列（字段“{}”按对照应从该列读取）", f.label));
                    columns.push(None);
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let lookups = schema
            .fields
            .iter()
            .map(|f| self.0.iter().find(|c| c.field == f.key).map(|c| c.lookup.clone()).unwrap_or_default())
            .collect();
        let others = if schema.keeps_other_columns {
            headers
                .iter()
                .enumerate()
                .filter(|(i, h)| !h.trim().is_empty() && !columns.contains(&Some(*i)))
                .map(|(i, _)| i)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Bound { schema, columns, lookups, headers: headers.to_vec(), others })
    }

    /// Checks a mapping as an administrator saved it: known fields, each at most once.
    pub fn check(&self, schema: &Schema) -> Result<(), String> {
        let mut seen = Vec::new();
        for c in &self.0 {
            if schema.field(&c.field).is_none() {
                return Err(format!("没有名为“{}”的字段", c.field));
            }
            if seen.contains(&c.field.as_str()) {
                return Err(format!("字段“{}”对照了两次", c.field));
            }
            seen.push(c.field.as_str());
        }
        Ok(())
    }
}

/// Why a row (or one cell of it) was not imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reject {
    /// The row's line in the file (the heading is row 1).
    pub row: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// A mapping bound to one file's columns.
#[derive(Debug, Clone)]
pub struct Bound {
    pub schema: &'static Schema,
    columns: Vec<Option<usize>>,
    lookups: Vec<BTreeMap<String, String>>,
    headers: Vec<String>,
    /// The columns kept besides the fields (see [`Schema::keeps_other_columns`]).
    others: Vec<usize>,
}

/// A row made ready to store: values in schema order, the other columns kept (a JSON array of
/// their values, empty when the schema keeps none), and their digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub values: Vec<String>,
    pub others: String,
    pub hash: String,
}

impl Record {
    pub fn key<'a>(&'a self, schema: &Schema) -> &'a str {
        &self.values[schema.key_index()]
    }
}

impl Bound {
    /// One row of the file (`row` is its line number) → a record, or every reason it is rejected.
    pub fn record(&self, row: u64, cells: &[String]) -> Result<Record, Vec<Reject>> {
        let mut values = Vec::with_capacity(self.columns.len());
        let mut rejects = Vec::new();
        for ((f, col), lookup) in self.schema.fields.iter().zip(&self.columns).zip(&self.lookups) {
            let raw = col.and_then(|i| cells.get(i)).map_or("", |s| s.trim());
            let column = col.and_then(|i| self.headers.get(i)).cloned().unwrap_or_else(|| f.label.to_owned());
            let looked_up = lookup.get(raw).map_or(raw, String::as_str);
            match normalise(f, looked_up) {
                Ok(v) => values.push(v),
                Err(reason) => {
                    rejects.push(Reject { row, column, value: raw.chars().take(100).collect(), reason });
                    values.push(String::new());
                }
            }
        }
        if !rejects.is_empty() {
            return Err(rejects);
        }
        let others = self.others_of(cells);
        let mut hash_input = values.clone();
        if !others.is_empty() {
            hash_input.push(others.clone());
        }
        let hash = digest(&hash_input);
        Ok(Record { values, others, hash })
    }

    /// The kept other columns' values of a row as a JSON array in [`Bound::other_headings`]
    /// order (a blank cell as ""); "" when none are kept. The headings are stored once per
    /// layout, not with every row.
    fn others_of(&self, cells: &[String]) -> String {
        if self.others.is_empty() {
            return String::new();
        }
        let mut out = String::with_capacity(self.others.len() * 8);
        out.push('[');
        for (k, &i) in self.others.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let v = cells.get(i).map_or("", |s| s.trim());
            if v.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
                out.push_str(&serde_json::to_string(v).unwrap_or_default());
            } else {
                out.push('"');
                out.push_str(v);
                out.push('"');
            }
        }
        out.push(']');
        out
    }

    /// The headings of the kept other columns, in the order of a record's `others`.
    pub fn other_headings(&self) -> Vec<String> {
        self.others.iter().map(|&i| self.headers[i].trim().to_owned()).collect()
    }
}

/// The digest of a record's values (SHA-256 of the values joined by the unit separator).
pub fn digest(values: &[String]) -> String {
    let mut h = Sha256::new();
    for v in values {
        h.update(v.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// Checks and normalises one cell for a field.
pub fn normalise(f: &FieldSpec, raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return if f.required { Err(format!("“{}”不能为空", f.label)) } else { Ok(String::new()) };
    }
    match f.ty {
        FieldType::Text(max) => {
            if raw.chars().count() > max {
                Err(format!("“{}”超过 {max} 个字", f.label))
            } else if raw.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                Err(format!("“{}”含有不可见的控制字符", f.label))
            } else {
                Ok(raw.to_owned())
            }
        }
        FieldType::Date => parse_date(raw).ok_or_else(|| format!("“{}”不是有效日期（如 2024-03-05）", f.label)),
        FieldType::Decimal => {
            let s: String = raw.chars().filter(|c| *c != ',' && *c != '，').collect();
            let s = s.trim_end_matches("万元").trim();
            let ok = !s.is_empty()
                && s.strip_prefix('-').unwrap_or(s).split_once('.').map_or(
                    s.strip_prefix('-').unwrap_or(s).bytes().all(|b| b.is_ascii_digit()),
                    |(a, b)| {
                        !a.is_empty()
                            && a.bytes().all(|x| x.is_ascii_digit())
                            && !b.is_empty()
                            && b.bytes().all(|x| x.is_ascii_digit())
                    },
                );
            if ok { Ok(s.to_owned()) } else { Err(format!("“{}”不是数字", f.label)) }
        }
        FieldType::CreditCode => {
            let s = raw.to_ascii_uppercase();
            if s.chars().count() != 18 {
                return Err(format!("“{}”应为 18 位", f.label));
            }
            match platform::codes::check_org_code(&s) {
                None => Ok(s),
                Some(e) => Err(e),
            }
        }
        FieldType::IdNumber => {
            let s = raw.to_ascii_uppercase();
            if platform::codes::valid_id_number(&s) {
                Ok(s)
            } else {
                Err(format!("“{}”不是有效的 18 位公民身份号码（校验位不符或日期无效）", f.label))
            }
        }
        FieldType::Phone => {
            if platform::codes::valid_phone(raw) {
                Ok(raw.to_owned())
            } else {
                Err(format!("“{}”不是有效的电话号码", f.label))
            }
        }
        FieldType::Code(table) => table
            .iter()
            .find(|(c, l)| *c == raw || *l == raw)
            .map(|(c, _)| (*c).to_owned())
            .ok_or_else(|| format!("“{}”不是可用的代码或名称", f.label)),
        FieldType::Degrees(min, max) => match raw.replace('°', "").trim().parse::<f64>() {
            Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(format!("{v:.6}")),
            Ok(_) => Err(format!("“{}”应在 {min} 至 {max} 度之间", f.label)),
            Err(_) => Err(format!("“{}”不是以度表示的数字（如 126.642464）", f.label)),
        },
        FieldType::Link => {
            let lower = raw.to_ascii_lowercase();
            let web = lower.starts_with("https://") || lower.starts_with("http://");
            let local = raw.starts_with('/') && !raw.starts_with("//") && !raw.starts_with("/\\");
            if raw.chars().count() > 500 {
                Err(format!("“{}”超过 500 个字符", f.label))
            } else if !(web || local) || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err(format!("“{}”应是以 http:// 或 https:// 开头的网址，或本站以 / 开头的路径", f.label))
            } else {
                Ok(raw.to_owned())
            }
        }
    }
}

/// A date as people and registry exports write it → `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Option<String> {
    let s = raw.trim();
    // An export's date-time (2024-03-05 00:00:00 or 2024-03-05T00:00:00): the date part.
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    let (y, m, d) = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        (s[..4].parse().ok()?, s[4..6].parse().ok()?, s[6..].parse().ok()?)
    } else {
        let cleaned: String = s.replace(['年', '月'], "-").replace('日', "");
        let mut parts = cleaned.split(['-', '/', '.']);
        let y: i32 = parts.next()?.parse().ok()?;
        let m: u8 = parts.next()?.parse().ok()?;
        let d: u8 = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        (y, m, d)
    };
    if !(1900..=2100).contains(&y) {
        return None;
    }
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    Some(format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()))
}

#[cfg(test)]
mod tests {
    use super::*;

    static FIELDS: [FieldSpec; 5] = [
        FieldSpec {
            key: "code",
            label: "统一社会信用代码",
            ty: FieldType::CreditCode,
            required: true,
            public: true,
            aliases: &["信用代码"],
        },
        FieldSpec { key: "name", label: "名称", ty: FieldType::Text(10), required: true, public: true, aliases: &[] },
        FieldSpec {
            key: "day", label: "成立日期", ty: FieldType::Date, required: false, public: true, aliases: &[]
        },
        FieldSpec {
            key: "industry",
            label: "行业",
            ty: FieldType::Code(&crate::domain::INDUSTRIES),
            required: false,
            public: true,
            aliases: &[],
        },
        FieldSpec {
            key: "money", label: "资本", ty: FieldType::Decimal, required: false, public: false, aliases: &[]
        },
    ];
    static SCHEMA: Schema = Schema { fields: &FIELDS, key: "code", keeps_other_columns: false };

    fn code(n: u32) -> String {
        let first17 = format!("91230102MA{n:07}");
        format!("{first17}{}", platform::codes::uscc_check_char(&first17).unwrap())
    }

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn guess_maps_by_label_key_and_alias() {
        let m = Mapping::guess(&SCHEMA, &headers(&["信用代码", "名称", "day", "其他"]));
        assert_eq!(m.column_of("code"), "信用代码");
        assert_eq!(m.column_of("name"), "名称");
        assert_eq!(m.column_of("day"), "day");
        assert_eq!(m.column_of("industry"), "");
    }

    #[test]
    fn bind_names_missing_required_and_absent_columns() {
        let m = Mapping(vec![ColumnMap { field: "day".into(), column: "日期".into(), lookup: BTreeMap::new() }]);
        let errs = m.bind(&SCHEMA, &headers(&["名称"])).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("统一社会信用代码")), "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("名称")));
        assert!(errs.iter().any(|e| e.contains("没有“日期”列")));
    }

    #[test]
    fn records_are_normalised_and_rejects_name_row_column_value_reason() {
        let h = headers(&["信用代码", "名称", "成立日期", "行业", "资本"]);
        let mut m = Mapping::guess(&SCHEMA, &h);
        m.0[3].lookup.insert("制造".into(), "C".into());
        let b = m.bind(&SCHEMA, &h).unwrap();
        let row = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let ok =
            b.record(2, &row(&[&code(1).to_lowercase(), " 冰城机械 ", "2024年3月5日", "制造", "1,200.50"])).unwrap();
        assert_eq!(ok.values, vec![code(1), "冰城机械".into(), "2024-03-05".into(), "C".into(), "1200.50".into()]);
        // The label of a code is accepted as well as the code.
        assert_eq!(b.record(2, &row(&[&code(1), "冰城机械", "", "制造业", ""])).unwrap().values[3], "C");
        // The same values give the same digest; any change gives another.
        let again = b.record(9, &row(&[&code(1), "冰城机械", "2024/3/5", "C", "1200.50"])).unwrap();
        assert_eq!(ok.hash, again.hash);
        let changed = b.record(9, &row(&[&code(1), "冰城机械", "2024/3/6", "C", "1200.50"])).unwrap();
        assert_ne!(ok.hash, changed.hash);

        let bad = b.record(7, &row(&[&code(1)[..17], "", "2024-02-30", "Z", "一百"])).unwrap_err();
        assert_eq!(bad.len(), 5, "{bad:?}");
        assert!(bad.iter().all(|r| r.row == 7));
        assert_eq!(bad[0].column, "信用代码");
        assert!(bad[0].reason.contains("18 位"));
        assert!(bad[1].reason.contains("不能为空"));
        assert!(bad[2].reason.contains("日期"));
        assert_eq!(bad[2].value, "2024-02-30");
        assert!(bad[3].reason.contains("代码"));
        assert!(bad[4].reason.contains("数字"));
        // A wrong check character.
        let mut wrong = code(2);
        wrong.pop();
        wrong.push(if code(2).ends_with('0') { '1' } else { '0' });
        assert!(b.record(3, &row(&[&wrong, "甲", "", "", ""])).unwrap_err()[0].reason.contains("校验位"));
        // Too long text.
        assert!(b.record(3, &row(&[&code(3), "一二三四五六七八九十一", "", "", ""])).is_err());
        // A short row: missing cells are empty.
        assert!(b.record(4, &row(&[&code(4), "乙"])).is_ok());
    }

    #[test]
    fn dates() {
        for (raw, want) in [
            ("2024-03-05", Some("2024-03-05")),
            ("2024/3/5", Some("2024-03-05")),
            ("2024.03.05", Some("2024-03-05")),
            ("20240305", Some("2024-03-05")),
            ("2024年3月5日", Some("2024-03-05")),
            ("2024-03-05 00:00:00", Some("2024-03-05")),
            ("2024-03-05T08:00:00", Some("2024-03-05")),
            ("2023-02-29", None),
            ("1800-01-01", None),
            ("2024-03", None),
            ("2024-03-05-01", None),
            ("三月五日", None),
        ] {
            assert_eq!(parse_date(raw).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn decimals() {
        let f = &FIELDS[4];
        assert_eq!(normalise(f, "1,234.5").unwrap(), "1234.5");
        assert_eq!(normalise(f, "500万元").unwrap(), "500");
        assert_eq!(normalise(f, "-3").unwrap(), "-3");
        for bad in ["1.", ".5", "1.2.3", "abc", "万元", "1e5"] {
            assert!(normalise(f, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mapping_check() {
        assert!(Mapping(vec![ColumnMap { field: "nope".into(), ..Default::default() }]).check(&SCHEMA).is_err());
        let twice = Mapping(vec![
            ColumnMap { field: "name".into(), ..Default::default() },
            ColumnMap { field: "name".into(), ..Default::default() },
        ]);
        assert!(twice.check(&SCHEMA).is_err());
        assert!(Mapping::guess(&SCHEMA, &[]).check(&SCHEMA).is_ok());
    }
}

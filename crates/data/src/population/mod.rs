//! 人口资源库 (restricted): people merged from several departments' files (公安 户籍, 卫健 计生,
//! 民政, 人社 农保) by 公民身份号码 through the import framework. Each core field records which
//! source gave it and when, and a declared rule decides between departments that disagree
//! ([`domain::Rule`]). Names, ID numbers, phones, addresses and every source's other columns are
//! sealed at rest (`platform::sealed`, AES-256-GCM under a key outside the database, so backups
//! stay encrypted); ID numbers and names are found by keyed hashes.
//!
//! Access: a 人口信息查询员 queries with a stated purpose and sees masked values; a 人口信息核查员
//! may open the fields granted to that role in full, one person at a time. Every query, view,
//! unmasking and statistics request is written to the audit chain (who, purpose, conditions with
//! personal values masked, result count) before its answer is shown. Statistics hide every cell
//! under the threshold and the complementary cells that would reveal it; exports are of those
//! aggregates only.
//!
//! Layout: `domain` (pure: masks, merge rules, age bands, suppression), `store` (the import target,
//! queries, statistics, conflicts), `ops` (checked and audited operations), `admin`, `api`.

use platform::roles::Role;

use crate::domain::AREAS;
use crate::mapping::{FieldSpec, FieldType, Schema};

pub mod admin;
pub mod api;
pub mod domain;
pub mod ops;
pub mod store;

use domain::{Mask, Rule};

pub const SEXES: [(&str, &str); 2] = [("1", "男"), ("2", "女")];
pub const HOUSEHOLDS: [(&str, &str); 2] = [("1", "家庭户"), ("2", "集体户")];
/// GB/T 2261.2 婚姻状况.
pub const MARITAL: [(&str, &str); 4] = [("10", "未婚"), ("20", "已婚"), ("30", "丧偶"), ("40", "离婚")];

const fn field(key: &'static str, label: &'static str, ty: FieldType, aliases: &'static [&'static str]) -> FieldSpec {
    FieldSpec { key, label, ty, required: false, public: false, aliases }
}

/// The core fields; each key is its column in `data_person`. Nothing here is ever public.
pub static FIELDS: [FieldSpec; 10] = [
    FieldSpec {
        key: "id_number",
        label: "公民身份号码",
        ty: FieldType::IdNumber,
        required: true,
        public: false,
        aliases: &["身份证号", "身份证号码", "证件号码", "SFZH"],
    },
    field("name", "姓名", FieldType::Text(50), &["XM"]),
    field("sex", "性别", FieldType::Code(&SEXES), &["XB"]),
    field("ethnicity", "民族", FieldType::Text(20), &["MZ"]),
    field("area_code", "户籍地", FieldType::Code(&AREAS), &["户籍地区划", "行政区划", "所属区县"]),
    field("household_type", "户别", FieldType::Code(&HOUSEHOLDS), &["户类型"]),
    field("marital", "婚姻状况", FieldType::Code(&MARITAL), &["婚姻"]),
    field("education", "文化程度", FieldType::Text(20), &["学历"]),
    field("phone", "联系电话", FieldType::Phone, &["电话", "手机号码"]),
    field("address", "现住址", FieldType::Text(200), &["住址", "居住地址"]),
];

/// Every other column of a department's file is kept (sealed) with that department's part.
pub static SCHEMA: Schema = Schema { fields: &FIELDS, key: "id_number", keeps_other_columns: true };

/// How a core field is kept, shown and merged — declared next to the schema, in the same order.
#[derive(Debug, Clone, Copy)]
pub struct FieldPolicy {
    pub key: &'static str,
    /// Stored sealed (and so never filtered or grouped on directly).
    pub sealed: bool,
    pub mask: Mask,
    pub rule: Rule,
    /// The roles that may see it in full (each time audited).
    pub reveal_to: &'static [Role],
}

const OFFICER: &[Role] = &[Role::PopulationOfficer];

pub static POLICIES: [FieldPolicy; 10] = [
    FieldPolicy { key: "id_number", sealed: true, mask: Mask::IdNumber, rule: Rule::Priority, reveal_to: OFFICER },
    FieldPolicy { key: "name", sealed: true, mask: Mask::Name, rule: Rule::Priority, reveal_to: OFFICER },
    FieldPolicy { key: "sex", sealed: false, mask: Mask::None, rule: Rule::Priority, reveal_to: &[] },
    FieldPolicy { key: "ethnicity", sealed: false, mask: Mask::None, rule: Rule::Priority, reveal_to: &[] },
    FieldPolicy { key: "area_code", sealed: false, mask: Mask::None, rule: Rule::Priority, reveal_to: &[] },
    FieldPolicy { key: "household_type", sealed: false, mask: Mask::None, rule: Rule::Priority, reveal_to: &[] },
    FieldPolicy { key: "marital", sealed: false, mask: Mask::None, rule: Rule::Manual, reveal_to: &[] },
    FieldPolicy { key: "education", sealed: false, mask: Mask::None, rule: Rule::Latest, reveal_to: &[] },
    FieldPolicy { key: "phone", sealed: true, mask: Mask::Phone, rule: Rule::Latest, reveal_to: OFFICER },
    FieldPolicy { key: "address", sealed: true, mask: Mask::Address, rule: Rule::Latest, reveal_to: OFFICER },
];

/// A field's policy by key.
pub fn policy(key: &str) -> Option<&'static FieldPolicy> {
    POLICIES.iter().find(|p| p.key == key)
}

/// A department's other columns as stored: the JSON array of their values, packed (LZ4) and
/// sealed. Done on the import's reading thread, so the writer only stores it.
pub fn pack_columns(values: &str) -> String {
    if values.is_empty() {
        return String::new();
    }
    let mut packed = vec![LZ4];
    packed.extend(lz4_flex::compress_prepend_size(values.as_bytes()));
    platform::sealed::seal_bytes(&packed)
}

/// The first byte of a packed value: an LZ4 block with its length in front follows. (A value
/// sealed before packing starts with the JSON array's `[`.)
const LZ4: u8 = 0x04;

/// The JSON array [`pack_columns`] stored ("" when nothing is kept or it cannot be opened).
pub fn unpack_columns(stored: &str) -> String {
    if stored.is_empty() || !platform::sealed::is_sealed(stored) {
        return String::new();
    }
    let bytes = match platform::sealed::open_bytes(stored) {
        Some(b) if b.first() == Some(&LZ4) => lz4_flex::decompress_size_prepended(&b[1..]).ok(),
        other => other,
    };
    bytes.and_then(|b| String::from_utf8(b).ok()).unwrap_or_default()
}

/// The roles that may see every source's other columns in full.
pub const OTHER_COLUMNS_REVEAL_TO: &[Role] = OFFICER;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_columns_are_sealed() {
        let values = r#"["城市低保","哈低保000003"]"#;
        let packed = pack_columns(values);
        assert!(platform::sealed::is_sealed(&packed) && !packed.contains("低保"));
        assert_eq!(unpack_columns(&packed), values);
        assert_eq!(pack_columns(""), "");
        // Packed: a department's repetitive columns take far less room than their text.
        let many = format!("[{}]", (0..300).map(|i| format!("\"{}\"", i % 7)).collect::<Vec<_>>().join(","));
        let packed = pack_columns(&many);
        assert!(packed.len() < many.len() / 3, "{} of {}", packed.len(), many.len());
        assert_eq!(unpack_columns(&packed), many);
        // A value sealed before packing still opens.
        assert_eq!(unpack_columns(&platform::sealed::seal(values)), values);
        assert_eq!(unpack_columns("garbage"), "");
    }

    #[test]
    fn every_field_has_its_policy_in_order() {
        assert_eq!(FIELDS.map(|f| f.key), POLICIES.map(|p| p.key));
        assert!(FIELDS.iter().all(|f| !f.public), "nothing of a person is public");
        for p in POLICIES.iter().filter(|p| p.sealed) {
            assert_ne!(p.mask, Mask::None, "{} is sealed, so it is personal, so it is masked", p.key);
        }
    }
}

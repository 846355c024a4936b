//! The population database's storage: the import target (merging each department's records into
//! one person per ID number by the fields' rules, with provenance and conflicts), the queries and
//! statistics the officers run, and the conflict queue.

use std::collections::{BTreeMap, HashMap};

use platform::db::{Arg, Db, DbResult, Exec, Q, Scalar, Tx, sql};
use platform::sealed::{Sealed, lookup_hash, seal};
use serde::Serialize;

use super::domain::{self, AGE_BANDS, Decision, Giver};
use super::{FIELDS, POLICIES, SCHEMA};
use crate::import::Source;
use crate::mapping::Record;

/// The columns a [`Person`] is read from.
const PERSON_COLUMNS: &str = "id, id_number, name, sex, birth_year, ethnicity, area_code, household_type, marital, education, \
     phone, address, provenance, created_at, updated_at";

/// One person as stored, sealed fields opened (staff screens mask them before showing).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub id_number: Sealed,
    #[sqlx(try_from = "String")]
    pub name: Sealed,
    pub sex: String,
    pub birth_year: i64,
    pub ethnicity: String,
    pub area_code: String,
    pub household_type: String,
    pub marital: String,
    pub education: String,
    #[sqlx(try_from = "String")]
    pub phone: Sealed,
    #[sqlx(try_from = "String")]
    pub address: Sealed,
    pub provenance: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which source gave a field, and when: `{field: [source id, unix time]}`.
pub type Provenance = BTreeMap<String, (i64, i64)>;

impl Person {
    /// A core field's value by its key, as stored (opened).
    pub fn value(&self, key: &str) -> &str {
        match key {
            "id_number" => &self.id_number,
            "name" => &self.name,
            "sex" => &self.sex,
            "ethnicity" => &self.ethnicity,
            "area_code" => &self.area_code,
            "household_type" => &self.household_type,
            "marital" => &self.marital,
            "education" => &self.education,
            "phone" => &self.phone,
            "address" => &self.address,
            _ => "",
        }
    }

    pub fn provenance(&self) -> Provenance {
        serde_json::from_str(&self.provenance).unwrap_or_default()
    }
}

// ---- the import target ----------------------------------------------------------------------------

/// The digests this source last sent for these ID numbers (keyed by the ID number as given).
pub async fn existing_hashes(tx: &mut Tx, ids: &[&str], source_id: i64) -> DbResult<HashMap<String, String>> {
    #[derive(sqlx::FromRow)]
    struct H {
        id_key: String,
        row_hash: String,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let by_key: HashMap<String, &str> = ids.iter().map(|id| (lookup_hash(id), *id)).collect();
    let rows: Vec<H> = tx
        .fetch_all(
            // CROSS JOIN keeps the person (found by its hash) as SQLite's outer loop: with 500 keys
            // and statistics from a smaller table it chose to scan every part of the source for
            // each batch, quadratic over an import. PostgreSQL plans it as any inner join.
            sql("SELECT p.id_key, x.row_hash FROM data_person p CROSS JOIN data_person_part x WHERE x.person_id = p.id AND x.source_id = ")
                .push_bind(source_id)
                .push(" AND p.id_key IN (")
                .push_bind_list(by_key.keys().cloned())
                .push(")"),
        )
        .await?;
    Ok(rows.into_iter().filter_map(|h| by_key.get(&h.id_key).map(|id| ((*id).to_owned(), h.row_hash))).collect())
}

/// Rows per multi-row statement (see `import::PARAMS_PER_STATEMENT`: ~1,000 parameters).
const PERSON_ROWS: usize = 60;
const PART_ROWS: usize = 160;

/// A value to store for a core field: sealed where the policy says so.
fn stored(key: &str, value: &str) -> String {
    if super::policy(key).is_some_and(|p| p.sealed) { seal(value) } else { value.to_owned() }
}

/// An offered value the stored one was kept against, for an officer to decide.
struct Offer {
    person: i64,
    field: &'static str,
    held_by: Option<i64>,
    value: String,
}

/// Merges a batch of one source's records: new people are inserted, known ones updated field by
/// field by the fields' rules (with provenance), disagreements under 人工裁决 queued, and the
/// source's part (digest and other columns, sealed) stored.
pub async fn merge(tx: &mut Tx, records: &[&Record], source: &Source, layout: Option<i64>, now: i64) -> DbResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let key_index = SCHEMA.key_index();
    let keys: Vec<String> = records.iter().map(|r| lookup_hash(&r.values[key_index])).collect();
    let mut known: HashMap<String, Person> = HashMap::new();
    for chunk in keys.chunks(500) {
        #[derive(sqlx::FromRow)]
        struct Keyed {
            id_key: String,
            #[sqlx(flatten)]
            person: Person,
        }
        let rows: Vec<Keyed> = tx
            .fetch_all(
                sql(format!("SELECT id_key, {PERSON_COLUMNS} FROM data_person WHERE id_key IN ("))
                    .push_bind_list(chunk.iter().cloned())
                    .push(")"),
            )
            .await?;
        known.extend(rows.into_iter().map(|k| (k.id_key, k.person)));
    }
    let priorities: HashMap<i64, i64> = if known.is_empty() {
        HashMap::new()
    } else {
        tx.fetch_all::<(i64, i64)>(sql("SELECT id, priority FROM data_source")).await?.into_iter().collect()
    };
    let me = Giver { source: source.id, priority: source.priority };
    let mut inserts: Vec<Vec<Arg>> = Vec::new();
    let mut offers: Vec<Offer> = Vec::new();
    for (r, key) in records.iter().zip(&keys) {
        let id = &r.values[key_index];
        let (birth_year, id_sex) = domain::from_id_number(id).unwrap_or((0, ""));
        let offered = |i: usize| -> &str {
            let v = r.values[i].as_str();
            if FIELDS[i].key == "sex" && v.is_empty() { id_sex } else { v }
        };
        match known.get(key) {
            None => {
                let mut prov = Provenance::new();
                let mut args: Vec<Arg> = vec![key.clone().into(), lookup_hash(offered(1)).into(), birth_year.into()];
                for (i, f) in FIELDS.iter().enumerate() {
                    let v = offered(i);
                    if !v.is_empty() {
                        prov.insert(f.key.to_owned(), (source.id, now));
                    }
                    args.push(stored(f.key, v).into());
                }
                args.extend([serde_json::to_string(&prov).unwrap_or_default().into(), now.into(), now.into()]);
                inserts.push(args);
            }
            Some(p) => {
                let mut prov = p.provenance();
                let mut sets: Vec<(&'static str, String)> = Vec::new();
                for (i, (f, policy)) in FIELDS.iter().zip(&POLICIES).enumerate() {
                    let held = p.value(f.key);
                    let held_by = prov
                        .get(f.key)
                        .map(|(s, _)| Giver { source: *s, priority: priorities.get(s).copied().unwrap_or(0) });
                    let v = offered(i);
                    match domain::decide(policy.rule, held, held_by, v, me) {
                        Decision::Keep => {}
                        Decision::Take => {
                            prov.insert(f.key.to_owned(), (source.id, now));
                            sets.push((f.key, v.to_owned()));
                        }
                        Decision::Conflict => offers.push(Offer {
                            person: p.id,
                            field: f.key,
                            held_by: held_by.map(|g| g.source),
                            value: v.to_owned(),
                        }),
                    }
                }
                if !sets.is_empty() {
                    update_fields(tx, p.id, &sets, &prov, now).await?;
                }
            }
        }
    }
    let cols: Vec<&str> = FIELDS.iter().map(|f| f.key).collect();
    for chunk in inserts.chunks(PERSON_ROWS) {
        let mut q: Q = sql(format!(
            "INSERT INTO data_person (id_key, name_key, birth_year, {}, provenance, created_at, updated_at) VALUES ",
            cols.join(", ")
        ));
        for (i, args) in chunk.iter().enumerate() {
            q = q.push_row(i == 0, args.iter().cloned());
        }
        tx.execute(q).await?;
    }
    // Every person of the batch now exists: their ids, for the parts.
    let mut ids: HashMap<String, i64> = known.iter().map(|(k, p)| (k.clone(), p.id)).collect();
    let new_keys: Vec<String> = keys.iter().filter(|k| !ids.contains_key(*k)).cloned().collect();
    for chunk in new_keys.chunks(500) {
        let rows: Vec<(i64, String)> = tx
            .fetch_all(
                sql("SELECT id, id_key FROM data_person WHERE id_key IN (")
                    .push_bind_list(chunk.iter().cloned())
                    .push(")"),
            )
            .await?;
        ids.extend(rows.into_iter().map(|(id, k)| (k, id)));
    }
    let parts: Vec<Vec<Arg>> = records
        .iter()
        .zip(&keys)
        .filter_map(|(r, k)| ids.get(k).map(|id| (r, *id)))
        // `others` was packed and sealed on the reading thread (`Target::prepare`).
        .map(|(r, id)| {
            vec![id.into(), source.id.into(), r.hash.clone().into(), layout.into(), r.others.clone().into(), now.into()]
        })
        .collect();
    for chunk in parts.chunks(PART_ROWS) {
        let mut q: Q =
            sql("INSERT INTO data_person_part (person_id, source_id, row_hash, layout_id, attrs, updated_at) VALUES ");
        for (i, args) in chunk.iter().enumerate() {
            q = q.push_row(i == 0, args.iter().cloned());
        }
        q = q.push(
            " ON CONFLICT (person_id, source_id) DO UPDATE SET row_hash = excluded.row_hash, layout_id = excluded.layout_id, attrs = excluded.attrs, \
             updated_at = excluded.updated_at",
        );
        tx.execute(q).await?;
    }
    for o in offers {
        queue_conflict(tx, &o, source.id, now).await?;
    }
    Ok(())
}

/// Writes changed core fields of one person with its new provenance (the name's lookup hash
/// follows the name).
async fn update_fields(
    tx: &mut Tx,
    person: i64,
    sets: &[(&'static str, String)],
    prov: &Provenance,
    now: i64,
) -> DbResult<()> {
    // Field keys are the schema's constants, never input.
    let mut q = sql("UPDATE data_person SET provenance = ").push_bind(serde_json::to_string(prov).unwrap_or_default());
    for (key, value) in sets {
        q = q.push(&format!(", {key} = ")).push_bind(stored(key, value));
        if *key == "name" {
            q = q.push(", name_key = ").push_bind(lookup_hash(value));
        }
    }
    tx.execute(q.push(", updated_at = ").push_bind(now).push(" WHERE id = ").push_bind(person)).await?;
    Ok(())
}

/// Opens a conflict unless the same offer already waits.
async fn queue_conflict(tx: &mut Tx, o: &Offer, source_id: i64, now: i64) -> DbResult<()> {
    let offered_key = lookup_hash(o.value.as_str());
    let waiting = tx
        .count(
            sql("SELECT COUNT(*) FROM data_person_conflict WHERE person_id = $1 AND field = $2 AND offered_key = $3 AND state = 'open'")
                .bind(o.person)
                .bind(o.field)
                .bind(offered_key.clone()),
        )
        .await?;
    if waiting > 0 {
        return Ok(());
    }
    tx.execute(
        sql("INSERT INTO data_person_conflict (person_id, field, held_source_id, offered_source_id, offered_value, offered_key, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)")
        .bind(o.person)
        .bind(o.field)
        .bind(o.held_by)
        .bind(source_id)
        .bind(seal(&o.value))
        .bind(offered_key)
        .bind(now),
    )
    .await?;
    Ok(())
}

// ---- queries --------------------------------------------------------------------------------------

/// What a query asks for. At least one condition is required (no one browses the whole
/// population).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Filter {
    /// 公民身份号码（精确）
    #[serde(default)]
    pub id_number: String,
    /// 姓名（精确）
    #[serde(default)]
    pub name: String,
    /// 户籍地区划代码
    #[serde(default)]
    pub area_code: String,
    /// 性别：1 男，2 女
    #[serde(default)]
    pub sex: String,
    /// 年龄段：0-14、15-34、35-59、60-79、80+
    #[serde(default)]
    pub age_band: String,
    /// 户别：1 家庭户，2 集体户
    #[serde(default)]
    pub household_type: String,
    /// 数据来源（数据源编号）
    #[serde(default)]
    pub source: Option<i64>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.id_number.trim().is_empty()
            && self.name.trim().is_empty()
            && self.area_code.is_empty()
            && self.sex.is_empty()
            && self.age_band.is_empty()
            && self.household_type.is_empty()
            && self.source.is_none()
    }

    /// The conditions as the audit log keeps them: personal values masked.
    pub fn describe(&self) -> String {
        use super::domain::{Mask, mask};
        let mut parts = Vec::new();
        let id = self.id_number.trim();
        if !id.is_empty() {
            parts.push(format!("身份号码={}", mask(Mask::IdNumber, id)));
        }
        if !self.name.trim().is_empty() {
            parts.push(format!("姓名={}", mask(Mask::Name, &self.name)));
        }
        let code = |table: &[(&str, &str)], v: &str| crate::domain::label(table, v).to_owned();
        if !self.area_code.is_empty() {
            parts.push(format!("户籍地={}", code(&crate::domain::AREAS, &self.area_code)));
        }
        if !self.sex.is_empty() {
            parts.push(format!("性别={}", code(&super::SEXES, &self.sex)));
        }
        if let Some(b) = AGE_BANDS.iter().find(|b| b.0 == self.age_band) {
            parts.push(format!("年龄段={}", b.1));
        }
        if !self.household_type.is_empty() {
            parts.push(format!("户别={}", code(&super::HOUSEHOLDS, &self.household_type)));
        }
        if let Some(s) = self.source {
            parts.push(format!("来源=数据源{s}"));
        }
        parts.join("，")
    }

    fn push_where(&self, mut q: Q, this_year: i64) -> Q {
        let id = self.id_number.trim();
        if !id.is_empty() {
            q = q.push(" AND id_key = ").push_bind(lookup_hash(&id.to_ascii_uppercase()));
        }
        if !self.name.trim().is_empty() {
            q = q.push(" AND name_key = ").push_bind(lookup_hash(self.name.trim()));
        }
        if !self.area_code.is_empty() {
            q = q.push(" AND area_code = ").push_bind(self.area_code.clone());
        }
        if !self.sex.is_empty() {
            q = q.push(" AND sex = ").push_bind(self.sex.clone());
        }
        if let Some(b) = AGE_BANDS.iter().find(|b| b.0 == self.age_band) {
            q = q
                .push(" AND birth_year >= ")
                .push_bind(this_year - b.3.min(200))
                .push(" AND birth_year <= ")
                .push_bind(this_year - b.2);
        }
        if !self.household_type.is_empty() {
            q = q.push(" AND household_type = ").push_bind(self.household_type.clone());
        }
        if let Some(s) = self.source {
            q = q.push(" AND EXISTS (SELECT 1 FROM data_person_part x WHERE x.person_id = data_person.id AND x.source_id = ").push_bind(s).push(")");
        }
        q
    }
}

/// The people matching a filter, `limit` at a time after `after` (by id), and how many match.
pub async fn query(db: &Db, f: &Filter, this_year: i64, after: i64, limit: i64) -> DbResult<(Vec<Person>, i64)> {
    let count = db.count(f.push_where(sql("SELECT COUNT(*) FROM data_person WHERE 1=1"), this_year)).await?;
    let people = db
        .fetch_all(
            f.push_where(
                sql(format!("SELECT {PERSON_COLUMNS} FROM data_person WHERE id > ")).push_bind(after),
                this_year,
            )
            .push(" ORDER BY id LIMIT ")
            .push_bind(limit),
        )
        .await?;
    Ok((people, count))
}

pub async fn person(db: &Db, id: i64) -> DbResult<Option<Person>> {
    db.fetch_optional(sql(format!("SELECT {PERSON_COLUMNS} FROM data_person WHERE id = $1")).bind(id)).await
}

/// What one source last sent about a person: when, and its other columns (sealed values and the
/// layout's headings).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Part {
    pub source_id: i64,
    pub source_name: String,
    pub updated_at: i64,
    /// The values, sealed (see [`super::pack_columns`]).
    pub attrs: String,
    pub headings: String,
}

impl Part {
    /// The other columns as (heading, value), blanks left out.
    pub fn columns(&self) -> Vec<(String, String)> {
        let headings: Vec<String> = serde_json::from_str(&self.headings).unwrap_or_default();
        let values: Vec<String> = serde_json::from_str(&super::unpack_columns(&self.attrs)).unwrap_or_default();
        headings.into_iter().zip(values).filter(|(_, v)| !v.is_empty()).collect()
    }
}

pub async fn parts(db: &Db, person: i64) -> DbResult<Vec<Part>> {
    db.fetch_all(
        sql("SELECT x.source_id, s.name AS source_name, x.updated_at, x.attrs, COALESCE(l.headings, '[]') AS headings \
             FROM data_person_part x JOIN data_source s ON s.id = x.source_id \
             LEFT JOIN data_person_layout l ON l.id = x.layout_id WHERE x.person_id = $1 ORDER BY s.priority DESC, s.id")
        .bind(person),
    )
    .await
}

/// The layout (headings of the other columns) a run's parts refer to, made once per distinct set.
pub async fn layout(tx: &mut Tx, source_id: i64, headings: &[String]) -> DbResult<Option<i64>> {
    use sha2::Digest;
    if headings.is_empty() {
        return Ok(None);
    }
    let text = serde_json::to_string(headings).unwrap_or_default();
    let digest = hex::encode(sha2::Sha256::digest(format!("{source_id}\u{1f}{text}").as_bytes()));
    let found: Option<Scalar<i64>> =
        tx.fetch_optional(sql("SELECT id FROM data_person_layout WHERE digest = $1").bind(digest.clone())).await?;
    if let Some(id) = found {
        return Ok(Some(id.0));
    }
    let id: Scalar<i64> = tx
        .fetch_one(
            sql("INSERT INTO data_person_layout (source_id, headings, digest, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(source_id)
                .bind(text)
                .bind(digest)
                .bind(platform::db::now()),
        )
        .await?;
    Ok(Some(id.0))
}

/// The population sources (id, name, priority), highest priority first.
pub async fn sources(db: &Db) -> DbResult<Vec<(i64, String, i64)>> {
    db.fetch_all(sql(
        "SELECT id, name, priority FROM data_source WHERE target = 'population' ORDER BY priority DESC, id",
    ))
    .await
}

// ---- statistics -----------------------------------------------------------------------------------

/// What a statistics table is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Area,
    AgeBand,
    Sex,
    Household,
    Marital,
    Source,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Area,
        Dimension::AgeBand,
        Dimension::Sex,
        Dimension::Household,
        Dimension::Marital,
        Dimension::Source,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Dimension::Area => "area",
            Dimension::AgeBand => "age",
            Dimension::Sex => "sex",
            Dimension::Household => "household",
            Dimension::Marital => "marital",
            Dimension::Source => "source",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Dimension::Area => "户籍地",
            Dimension::AgeBand => "年龄段",
            Dimension::Sex => "性别",
            Dimension::Household => "户别",
            Dimension::Marital => "婚姻状况",
            Dimension::Source => "数据来源",
        }
    }

    pub fn parse(code: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.code() == code)
    }

    /// The grouped expression (age by year of birth, bucketed afterwards).
    fn column(self) -> &'static str {
        match self {
            Dimension::Area => "p.area_code",
            Dimension::AgeBand => "p.birth_year",
            Dimension::Sex => "p.sex",
            Dimension::Household => "p.household_type",
            Dimension::Marital => "p.marital",
            Dimension::Source => "x.source_id",
        }
    }
}

/// A statistics table before suppression: categories (code, label) of both dimensions and counts.
#[derive(Debug, Clone)]
pub struct Counts {
    pub rows: Vec<(String, String)>,
    pub cols: Vec<(String, String)>,
    pub cells: Vec<Vec<u64>>,
}

/// Counts people by one dimension, or two. With 数据来源 a person counts once per source that
/// knows them (人次).
pub async fn counts(db: &Db, rows: Dimension, cols: Option<Dimension>, this_year: i64) -> DbResult<Counts> {
    let by_source = rows == Dimension::Source || cols == Some(Dimension::Source);
    let from = if by_source { "data_person p JOIN data_person_part x ON x.person_id = p.id" } else { "data_person p" };
    let second = cols.map_or("''", Dimension::column);
    #[derive(sqlx::FromRow)]
    struct G {
        a: String,
        b: String,
        n: i64,
    }
    let cast = |c: &str| if c == "''" { c.to_owned() } else { format!("CAST({c} AS TEXT)") };
    let group = match cols {
        Some(c) => format!("{}, {}", rows.column(), c.column()),
        None => rows.column().to_owned(),
    };
    let groups: Vec<G> = db
        .fetch_all(sql(format!(
            "SELECT {} AS a, {} AS b, COUNT(*) AS n FROM {from} GROUP BY {group}",
            cast(rows.column()),
            cast(second)
        )))
        .await?;
    let sources = if by_source { sources(db).await? } else { Vec::new() };
    let cats = |d: Dimension| categories(d, &sources);
    let row_cats = cats(rows);
    let col_cats = cols.map_or_else(|| vec![(String::new(), "人数".to_owned())], cats);
    let mut cells = vec![vec![0u64; col_cats.len()]; row_cats.len()];
    let place = |d: Option<Dimension>, cats: &[(String, String)], v: &str| -> Option<usize> {
        let code = match d {
            Some(Dimension::AgeBand) => domain::age_band(v.parse().unwrap_or(0), this_year).to_owned(),
            None => String::new(),
            _ => v.to_owned(),
        };
        cats.iter().position(|(c, _)| *c == code).or_else(|| cats.iter().position(|(c, _)| c == UNKNOWN))
    };
    for g in groups {
        if let (Some(r), Some(c)) = (place(Some(rows), &row_cats, &g.a), place(cols, &col_cats, &g.b)) {
            cells[r][c] += g.n as u64;
        }
    }
    let mut t = Counts { rows: row_cats, cols: col_cats, cells };
    t.drop_empty_unknown();
    Ok(t)
}

impl Counts {
    /// Leaves out the 未登记 row and column when nobody is in them: an empty category that exists
    /// only for stray values would otherwise be a line of hidden zeros, and hiding it would cost
    /// real cells as complements.
    fn drop_empty_unknown(&mut self) {
        if let Some(r) = self.rows.iter().position(|(c, _)| c == UNKNOWN)
            && self.cells[r].iter().all(|n| *n == 0)
        {
            self.rows.remove(r);
            self.cells.remove(r);
        }
        if let Some(c) = self.cols.iter().position(|(code, _)| code == UNKNOWN)
            && self.cells.iter().all(|line| line[c] == 0)
        {
            self.cols.remove(c);
            for line in &mut self.cells {
                line.remove(c);
            }
        }
    }
}

/// The category of values a table has no code for (a blank 户别 …).
const UNKNOWN: &str = "?";

fn categories(d: Dimension, sources: &[(i64, String, i64)]) -> Vec<(String, String)> {
    let table = |t: &[(&str, &str)]| -> Vec<(String, String)> {
        t.iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
            .chain([(UNKNOWN.to_owned(), "未登记".to_owned())])
            .collect()
    };
    match d {
        Dimension::Area => table(&crate::domain::AREAS),
        Dimension::Sex => table(&super::SEXES),
        Dimension::Household => table(&super::HOUSEHOLDS),
        Dimension::Marital => table(&super::MARITAL),
        Dimension::AgeBand => AGE_BANDS.iter().map(|b| (b.0.to_owned(), b.1.to_owned())).collect(),
        Dimension::Source => sources.iter().map(|(id, name, _)| (id.to_string(), name.clone())).collect(),
    }
}

// ---- conflicts ------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Conflict {
    pub id: i64,
    pub person_id: i64,
    pub field: String,
    pub held_source_id: Option<i64>,
    pub offered_source_id: i64,
    #[sqlx(try_from = "String")]
    pub offered_value: Sealed,
    pub state: String,
    pub decided_by: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

pub async fn open_conflicts(db: &Db, limit: i64) -> DbResult<(Vec<Conflict>, i64)> {
    let n = db.count(sql("SELECT COUNT(*) FROM data_person_conflict WHERE state = 'open'")).await?;
    let list = db
        .fetch_all(sql("SELECT * FROM data_person_conflict WHERE state = 'open' ORDER BY id LIMIT $1").bind(limit))
        .await?;
    Ok((list, n))
}

pub async fn conflict(db: &Db, id: i64) -> DbResult<Option<Conflict>> {
    db.fetch_optional(sql("SELECT * FROM data_person_conflict WHERE id = $1").bind(id)).await
}

/// Decides an open conflict: `accept` writes the offered value (provenance to the offering
/// source); otherwise the stored value stays. `false` when it was no longer open.
pub async fn resolve(db: &Db, c: &Conflict, accept: bool, by: &str, now: i64) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let done = tx
        .execute(
            sql("UPDATE data_person_conflict SET state = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND state = 'open'")
                .bind(if accept { "accepted" } else { "kept" })
                .bind(by)
                .bind(now)
                .bind(c.id),
        )
        .await?;
    if done == 0 {
        return Ok(false);
    }
    if accept {
        let Some(policy) = super::policy(&c.field) else { return Ok(false) };
        let p: Option<Person> = tx
            .fetch_optional(sql(format!("SELECT {PERSON_COLUMNS} FROM data_person WHERE id = $1")).bind(c.person_id))
            .await?;
        let Some(p) = p else { return Ok(false) };
        let mut prov = p.provenance();
        prov.insert(policy.key.to_owned(), (c.offered_source_id, now));
        update_fields(&mut tx, p.id, &[(policy.key, c.offered_value.0.clone())], &prov, now).await?;
        // Other offers for the same field are settled by this decision.
        tx.execute(
            sql("UPDATE data_person_conflict SET state = 'kept', decided_by = $1, decided_at = $2 \
                 WHERE person_id = $3 AND field = $4 AND state = 'open'")
            .bind(by)
            .bind(now)
            .bind(p.id)
            .bind(c.field.clone()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// How many people the database holds.
pub async fn total(db: &Db) -> DbResult<i64> {
    Ok(db.fetch_one::<Scalar<i64>>(sql("SELECT COUNT(*) FROM data_person")).await?.0)
}

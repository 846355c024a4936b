//! Pure rules of the population database: how each kind of personal value is masked, which value
//! a field keeps when two departments disagree, age bands, and the suppression of small cells in
//! statistics (primary: every cell under the threshold; complementary: more cells, so that no
//! hidden cell can be worked out from a row's or a column's total).

/// How a field is shown to someone not granted it in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// Shown as it is (codes such as 性别, 户别).
    None,
    /// 110105********002X: the area code and the last four characters.
    IdNumber,
    /// 张*, 欧阳**: the first character.
    Name,
    /// 138****5678.
    Phone,
    /// The address down to the district or county, the rest hidden.
    Address,
}

/// Masks a value for display; an empty value stays empty.
pub fn mask(kind: Mask, value: &str) -> String {
    let v = value.trim();
    if v.is_empty() {
        return String::new();
    }
    match kind {
        Mask::None => v.to_owned(),
        Mask::IdNumber => {
            let c: Vec<char> = v.chars().collect();
            if c.len() < 10 {
                return "*".repeat(c.len());
            }
            let head: String = c[..6].iter().collect();
            let tail: String = c[c.len() - 4..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(c.len() - 10))
        }
        Mask::Name => platform::privacy::mask_name(v),
        Mask::Phone => platform::privacy::mask_contact(v),
        Mask::Address => {
            // Keep through the last 区/县/市/旗 within the first 12 characters (the district), so a
            // clerk still sees where someone lives without the street and house number.
            let c: Vec<char> = v.chars().collect();
            let cut = c.iter().take(12).rposition(|ch| matches!(ch, '区' | '县' | '市' | '旗')).map(|i| i + 1);
            let keep = cut.unwrap_or(c.len().min(3)).min(c.len());
            let head: String = c[..keep].iter().collect();
            format!("{head}****")
        }
    }
}

/// Which value a field keeps when a source offers one that differs from the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// 以最新为准: the latest import wins (phones, addresses move).
    Latest,
    /// 来源优先: the source with the higher priority wins (公安 over the others for names).
    Priority,
    /// 人工裁决: the stored value stays and the disagreement waits for an officer.
    Manual,
}

impl Rule {
    pub fn label(self) -> &'static str {
        match self {
            Rule::Latest => "以最新为准",
            Rule::Priority => "来源优先",
            Rule::Manual => "人工裁决",
        }
    }
}

/// What to do with an offered value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing changes (no value offered, or the same value).
    Keep,
    /// The offered value replaces the stored one (provenance moves to the offering source).
    Take,
    /// The stored value stays; the offer is recorded as a conflict for an officer.
    Conflict,
}

/// Who gave a value: the source and its priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Giver {
    pub source: i64,
    pub priority: i64,
}

/// Decides a field. A source that knows nothing of a field never erases it; a source always
/// corrects its own earlier value; otherwise the field's rule decides.
pub fn decide(rule: Rule, held: &str, held_by: Option<Giver>, offered: &str, offered_by: Giver) -> Decision {
    if offered.is_empty() || offered == held {
        return Decision::Keep;
    }
    let Some(held_by) = held_by.filter(|_| !held.is_empty()) else { return Decision::Take };
    if held_by.source == offered_by.source {
        return Decision::Take;
    }
    match rule {
        Rule::Latest => Decision::Take,
        Rule::Priority if offered_by.priority >= held_by.priority => Decision::Take,
        Rule::Priority => Decision::Keep,
        Rule::Manual => Decision::Conflict,
    }
}

/// Birth year and sex (GB/T 2261.1: 1 男, 2 女) read from a valid 18-character ID number.
pub fn from_id_number(id: &str) -> Option<(i64, &'static str)> {
    let b = id.as_bytes();
    if b.len() != 18 {
        return None;
    }
    let year: i64 = id.get(6..10)?.parse().ok()?;
    let sex = if (b[16].checked_sub(b'0')?) % 2 == 1 { "1" } else { "2" };
    Some((year, sex))
}

/// Age bands of the statistics (the national 0–14 / 15–59 / 60+ split, finer within).
pub const AGE_BANDS: [(&str, &str, i64, i64); 5] = [
    ("0-14", "0–14 岁", 0, 14),
    ("15-34", "15–34 岁", 15, 34),
    ("35-59", "35–59 岁", 35, 59),
    ("60-79", "60–79 岁", 60, 79),
    ("80+", "80 岁及以上", 80, i64::MAX),
];

/// The band of someone born in `birth_year`, in `this_year` (age by year of birth).
pub fn age_band(birth_year: i64, this_year: i64) -> &'static str {
    let age = (this_year - birth_year).max(0);
    AGE_BANDS.iter().find(|b| (b.2..=b.3).contains(&age)).map_or("80+", |b| b.0)
}

/// A statistics table after suppression: `None` is a hidden cell. Totals are the sums of the
/// cells before hiding; a one-column table's row totals equal its cells and are not shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub cells: Vec<Vec<Option<u64>>>,
    pub row_totals: Vec<Option<u64>>,
    pub col_totals: Vec<Option<u64>>,
    pub total: Option<u64>,
    /// How many entries were hidden for being small, and how many more to protect them.
    pub primary: usize,
    pub complementary: usize,
}

/// Hides every entry (cell or total) below `min` — zero included, since "nobody" is as telling as
/// "one person" — and then, while some row or column (with its total) has exactly one hidden
/// entry, which its total would reveal, hides one more entry of that line: its smallest shown
/// cell, or its total when no cell is left. The result has no shown entry under `min` and no line
/// with a single hidden entry, so no hidden count follows from one total by subtraction.
pub fn suppress(counts: &[Vec<u64>], min: u64) -> Suppressed {
    let rows = counts.len();
    let cols = counts.first().map_or(0, Vec::len);
    // The grid with its margins: row r's total at [r][cols], column c's at [rows][c].
    let mut v = vec![vec![0u64; cols + 1]; rows + 1];
    for (r, line) in counts.iter().enumerate() {
        for c in 0..cols {
            let n = line.get(c).copied().unwrap_or(0);
            v[r][c] = n;
            v[r][cols] += n;
            v[rows][c] += n;
            v[rows][cols] += n;
        }
    }
    let mut hidden: Vec<Vec<bool>> = v.iter().map(|line| line.iter().map(|&n| n < min).collect()).collect();
    let primary = hidden.iter().flatten().filter(|h| **h).count();
    let mut complementary = 0;
    loop {
        let mut changed = false;
        // Rows (each with its total), then columns.
        for r in 0..=rows {
            let line: Vec<(usize, usize)> = (0..=cols).map(|c| (r, c)).collect();
            changed |= protect(&v, &mut hidden, &line, &mut complementary);
        }
        for c in 0..=cols {
            let line: Vec<(usize, usize)> = (0..=rows).map(|r| (r, c)).collect();
            changed |= protect(&v, &mut hidden, &line, &mut complementary);
        }
        if !changed {
            break;
        }
    }
    let shown = |r: usize, c: usize| (!hidden[r][c]).then_some(v[r][c]);
    Suppressed {
        cells: (0..rows).map(|r| (0..cols).map(|c| shown(r, c)).collect()).collect(),
        row_totals: (0..rows).map(|r| shown(r, cols)).collect(),
        col_totals: (0..cols).map(|c| shown(rows, c)).collect(),
        total: if rows == 0 || cols == 0 { None } else { shown(rows, cols) },
        primary,
        complementary,
    }
}

/// One line (its cells, then its total last): when exactly one entry is hidden, hides one more.
fn protect(v: &[Vec<u64>], hidden: &mut [Vec<bool>], line: &[(usize, usize)], added: &mut usize) -> bool {
    if line.iter().filter(|&&(r, c)| hidden[r][c]).count() != 1 {
        return false;
    }
    let (cells, total) = line.split_at(line.len() - 1);
    let pick = cells.iter().filter(|&&(r, c)| !hidden[r][c]).min_by_key(|&&(r, c)| v[r][c]).or(total.first());
    match pick {
        Some(&(r, c)) if !hidden[r][c] => {
            hidden[r][c] = true;
            *added += 1;
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_what_a_clerk_needs_and_nothing_more() {
        assert_eq!(mask(Mask::IdNumber, "11010519491231002X"), "110105********002X");
        assert_eq!(mask(Mask::Phone, "13812345678"), "138****5678");
        assert_eq!(mask(Mask::Name, "张三"), "张*");
        assert_eq!(mask(Mask::Name, "欧阳小明"), "欧***");
        assert_eq!(mask(Mask::Address, "黑龙江省哈尔滨市南岗区西大直街92号3单元501"), "黑龙江省哈尔滨市南岗区****");
        assert_eq!(mask(Mask::Address, "南岗区学府路 1 号"), "南岗区****");
        assert_eq!(mask(Mask::Address, "学府路1号"), "学府路****");
        assert_eq!(mask(Mask::None, "1"), "1");
        for kind in [Mask::IdNumber, Mask::Name, Mask::Phone, Mask::Address] {
            assert_eq!(mask(kind, "  "), "");
        }
        assert_eq!(mask(Mask::IdNumber, "12345"), "*****");
    }

    #[test]
    fn a_source_never_erases_and_always_corrects_itself() {
        let police = Giver { source: 1, priority: 90 };
        let welfare = Giver { source: 2, priority: 10 };
        for rule in [Rule::Latest, Rule::Priority, Rule::Manual] {
            assert_eq!(decide(rule, "张三", Some(police), "", welfare), Decision::Keep);
            assert_eq!(decide(rule, "张三", Some(police), "张三", welfare), Decision::Keep);
            assert_eq!(decide(rule, "", None, "张三", welfare), Decision::Take);
            assert_eq!(decide(rule, "张三", Some(welfare), "张叁", welfare), Decision::Take);
        }
        assert_eq!(decide(Rule::Latest, "张三", Some(police), "张叁", welfare), Decision::Take);
        assert_eq!(decide(Rule::Priority, "张三", Some(police), "张叁", welfare), Decision::Keep);
        assert_eq!(decide(Rule::Priority, "张叁", Some(welfare), "张三", police), Decision::Take);
        assert_eq!(decide(Rule::Manual, "20", Some(police), "40", welfare), Decision::Conflict);
    }

    #[test]
    fn birth_year_and_sex_come_from_the_id_number() {
        assert_eq!(from_id_number("11010519491231002X"), Some((1949, "2")));
        assert_eq!(from_id_number("110105199003071234"), Some((1990, "1")));
        assert_eq!(from_id_number("1101"), None);
        assert_eq!(age_band(2020, 2026), "0-14");
        assert_eq!(age_band(2011, 2026), "15-34");
        assert_eq!(age_band(1967, 2026), "35-59");
        assert_eq!(age_band(1966, 2026), "60-79");
        assert_eq!(age_band(1900, 2026), "80+");
    }

    /// Every table of small shapes over counts around the threshold: nothing under it is shown, and
    /// no row or column has exactly one hidden entry.
    #[test]
    fn suppression_leaves_nothing_small_and_nothing_derivable() {
        let values = [0u64, 1, 4, 5, 9, 30];
        let mut checked = 0;
        for (rows, cols) in [(1, 1), (1, 3), (3, 1), (2, 2), (2, 3), (3, 2)] {
            let n = rows * cols;
            let combos = values.len().pow(n as u32);
            for mut code in 0..combos {
                let mut t = vec![vec![0u64; cols]; rows];
                for cell in t.iter_mut().flatten() {
                    *cell = values[code % values.len()];
                    code /= values.len();
                }
                let s = suppress(&t, 5);
                let mut grid: Vec<Vec<Option<u64>>> = s
                    .cells
                    .iter()
                    .zip(&s.row_totals)
                    .map(|(line, rt)| line.iter().copied().chain([*rt]).collect())
                    .collect();
                grid.push(s.col_totals.iter().copied().chain([s.total]).collect());
                for e in grid.iter().flatten().flatten() {
                    assert!(*e >= 5, "{t:?} shows {e}");
                }
                for line in &grid {
                    assert_ne!(line.iter().filter(|e| e.is_none()).count(), 1, "{t:?} → {grid:?}");
                }
                for c in 0..=cols {
                    assert_ne!(grid.iter().filter(|line| line[c].is_none()).count(), 1, "{t:?} → {grid:?}");
                }
                // Shown values are the true ones.
                for (r, line) in t.iter().enumerate() {
                    for (c, n) in line.iter().enumerate() {
                        assert!(s.cells[r][c].is_none_or(|x| x == *n));
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 90_000, "{checked}");
    }

    #[test]
    fn a_single_small_cell_takes_a_partner() {
        let s = suppress(&[vec![120], vec![3], vec![40], vec![75]], 5);
        assert_eq!(s.cells, vec![vec![Some(120)], vec![None], vec![None], vec![Some(75)]]);
        assert_eq!(s.total, Some(238));
        assert_eq!((s.primary, s.complementary), (2, 2), "the cell and its equal row total, then its partner's");
    }
}

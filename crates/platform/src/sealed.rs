//! Citizens' personal data — identity numbers, phones, e-mail and home addresses, application form
//! values — encrypted at rest (等保 2.0 level 3, confidentiality of personal information): AES-256-GCM under a key kept outside the database (`ZHENGWU_PII_KEY`, or the
//! owner-readable `pii.key` in the data directory), so a copy of the database or a backup alone does
//! not reveal them. Stored values are `enc1:` + base64(nonce ‖ ciphertext); a value without the prefix
//! (written before encryption existed) reads as it is.
//!
//! The key is installed once per process at start ([`install`]); the database layer's rows carry
//! [`Sealed`] fields that open themselves as they are read, so no query can forget to decrypt.
//! Where a lookup needs equality on a sealed value (a writer's letters this day), the row also
//! keeps [`lookup_hash`]: a keyed HMAC of the normalised value, useless without the key.
//! [`seal_legacy`] seals values written before a column was sealed, once, at start.

use std::sync::OnceLock;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "enc1:";

static CIPHER: OnceLock<Aes256Gcm> = OnceLock::new();
static HASH_KEY: OnceLock<[u8; 32]> = OnceLock::new();

fn hash_key_for(secret: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"zhengwu pii lookup v1\0");
    h.update(secret);
    h.finalize().into()
}

/// Derives the 256-bit key from the configured secret (any length ≥ 16).
fn cipher_for(secret: &[u8]) -> Aes256Gcm {
    let mut h = Sha256::new();
    h.update(b"zhengwu pii v1\0");
    h.update(secret);
    let key: [u8; 32] = h.finalize().into();
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(key))
}

/// Installs the process's key; the first call wins (one process serves one deployment).
pub fn install(secret: &[u8]) {
    let _ = CIPHER.set(cipher_for(secret));
    let _ = HASH_KEY.set(hash_key_for(secret));
}

fn cipher() -> &'static Aes256Gcm {
    // Without an installed key (a unit test, a tool) the process uses a random one: what it seals it
    // can open, and nothing is ever stored in clear by accident.
    CIPHER.get_or_init(|| {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        cipher_for(&k)
    })
}

fn hash_key() -> &'static [u8; 32] {
    HASH_KEY.get_or_init(|| {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        k
    })
}

/// The keyed hash a sealed value is found by: HMAC-SHA256 over the value with spaces removed and
/// ASCII letters lower-cased (so `138 0000 1234` and `13800001234`, `A@B.cn` and `a@b.cn` match).
/// Empty for an empty value.
pub fn lookup_hash(value: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let norm: String = value.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_lowercase()).collect();
    if norm.is_empty() {
        return String::new();
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(hash_key()).expect("hmac takes any key length");
    mac.update(norm.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a stored value is already sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// A table's sealed columns, declared by the module that owns the table, so that values stored in
/// clear before the column was sealed are sealed at start ([`seal_legacy`]).
pub struct SealedColumns {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    /// `(hash column, sealed column)`: the lookup hash filled from the plain value.
    pub hashes: &'static [(&'static str, &'static str)],
}

/// Seals every value of `spec`'s columns still stored in clear (and fills their lookup hashes);
/// returns how many rows were rewritten. Runs once per table and column list (a `setting` row
/// records it, so a start over a million letters does not rescan them); new rows are sealed as they
/// are written.
pub async fn seal_legacy(db: &crate::db::Db, spec: &SealedColumns) -> crate::db::DbResult<u64> {
    use crate::db::{Exec, sql};
    let marker = format!("sealed.{}:{}", spec.table, spec.columns.join(","));
    if db.count(sql("SELECT COUNT(*) FROM setting WHERE key = $1").bind(marker.as_str())).await? > 0 {
        return Ok(0);
    }
    let mut done = 0;
    for column in spec.columns {
        let hash = spec.hashes.iter().find(|(_, from)| from == column).map(|(h, _)| *h);
        loop {
            // Identifiers come from the owning module's constants, never from input.
            let rows: Vec<(i64, String)> = db
                .fetch_all(sql(format!(
                    "SELECT id, {column} FROM {t} WHERE {column} <> '' AND {column} NOT LIKE '{PREFIX}%' ORDER BY id LIMIT 500",
                    t = spec.table
                )))
                .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = db.begin().await?;
            for (id, plain) in &rows {
                let mut update = sql(format!("UPDATE {} SET {column} = ", spec.table)).push_bind(seal(plain));
                if let Some(h) = hash {
                    update = update.push(&format!(", {h} = ")).push_bind(lookup_hash(plain));
                }
                tx.execute(update.push(" WHERE id = ").push_bind(*id)).await?;
                done += 1;
            }
            tx.commit().await?;
        }
    }
    db.execute(
        sql("INSERT INTO setting (key, value, updated_at, updated_by) VALUES ($1, 'done', $2, 'system')")
            .bind(marker)
            .bind(crate::db::now()),
    )
    .await?;
    Ok(done)
}

/// Encrypts a value for storage (the empty string stays empty: nothing to hide, and forms check
/// emptiness).
pub fn seal(plain: &str) -> String {
    if plain.is_empty() {
        return String::new();
    }
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher().encrypt(&Nonce::from(nonce), plain.as_bytes()).expect("AES-GCM encryption does not fail");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    format!("{PREFIX}{}", STANDARD.encode(out))
}

/// Encrypts bytes (a compressed record) for storage, in the same `enc1:` form as [`seal`].
pub fn seal_bytes(plain: &[u8]) -> String {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher().encrypt(&Nonce::from(nonce), plain).expect("AES-GCM encryption does not fail");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    format!("{PREFIX}{}", STANDARD.encode(out))
}

/// Decrypts what [`seal_bytes`] stored; `None` under another key, damaged, or not sealed.
pub fn open_bytes(stored: &str) -> Option<Vec<u8>> {
    let raw = STANDARD.decode(stored.strip_prefix(PREFIX)?).ok()?;
    if raw.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = raw.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    cipher().decrypt(&Nonce::from(nonce), ct).ok()
}

/// Decrypts a stored value; a plain (legacy) value is returned as it is. `None` when the value
/// was sealed under another key or damaged.
pub fn open(stored: &str) -> Option<String> {
    let Some(b64) = stored.strip_prefix(PREFIX) else { return Some(stored.to_owned()) };
    let raw = STANDARD.decode(b64).ok()?;
    if raw.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = raw.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let plain = cipher().decrypt(&Nonce::from(nonce), ct).ok()?;
    String::from_utf8(plain).ok()
}

/// Shown in place of a value that cannot be opened (wrong `pii.key`), instead of failing the page.
pub const UNREADABLE: &str = "（无法解密：个人信息密钥不符）";

/// A column stored sealed, read back as its plain text. Serialises as the plain text (staff
/// screens that may show it; public surfaces never carry these fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Sealed(pub String);

/// Opening as the row is read (`#[sqlx(try_from = "String")]` goes through this).
impl From<String> for Sealed {
    fn from(stored: String) -> Self {
        Sealed(open(&stored).unwrap_or_else(|| {
            tracing::warn!("a sealed value could not be opened with this pii.key");
            UNREADABLE.to_owned()
        }))
    }
}

impl std::ops::Deref for Sealed {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl std::fmt::Display for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_and_reveal_nothing() {
        let id = "11010519491231002X";
        let s = seal(id);
        assert!(s.starts_with(PREFIX) && !s.contains("19491231"), "{s}");
        assert_ne!(seal(id), s, "a fresh nonce every time");
        assert_eq!(open(&s).as_deref(), Some(id));
        assert_eq!(open("legacy plain").as_deref(), Some("legacy plain"));
        assert_eq!(seal(""), "");
        let mut damaged = s.clone();
        damaged.pop();
        damaged.push(if s.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(open(&damaged), None);
        let other = cipher_for(b"another deployment's key");
        let raw = STANDARD.decode(&s[PREFIX.len()..]).unwrap();
        assert!(other.decrypt(&Nonce::from(<[u8; 12]>::try_from(&raw[..12]).unwrap()), &raw[12..]).is_err());
        assert_eq!(Sealed::from(damaged).0, UNREADABLE);
        let bytes = [0u8, 159, 146, 150, 255];
        assert_eq!(open_bytes(&seal_bytes(&bytes)).as_deref(), Some(&bytes[..]));
        assert_eq!(open_bytes("plain"), None);
    }
}

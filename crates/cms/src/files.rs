//! Uploaded files on disk under the data directory: attachments (`files/att/<sha256>`) and images
//! pasted into bodies (`files/inline/<sha256>.<ext>`). Content addressing makes repeated uploads
//! free and names unguessable-from-input, so no user-supplied name ever reaches a path. Types are
//! decided from the bytes (magic numbers), not from what the browser claims.

use std::path::{Path, PathBuf};

use sha2::Digest;

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn write_once(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Write then rename, so a reader never sees half a file.
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

/// Stores an inline image; returns its file name.
pub fn store_inline(files_dir: &Path, bytes: &[u8], ext: &str) -> std::io::Result<String> {
    let name = format!("{}.{ext}", sha256(bytes));
    write_once(&files_dir.join("inline").join(&name), bytes)?;
    Ok(name)
}

pub fn inline_path(files_dir: &Path, name: &str) -> Option<PathBuf> {
    let (stem, ext) = name.split_once('.')?;
    let ok = stem.len() == 64
        && stem.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(ext, "png" | "jpg" | "gif" | "webp");
    ok.then(|| files_dir.join("inline").join(name))
}

/// Stores an attachment; returns its SHA-256 (the stored name).
pub fn store_attachment(files_dir: &Path, bytes: &[u8]) -> std::io::Result<String> {
    let sha = sha256(bytes);
    write_once(&files_dir.join("att").join(&sha), bytes)?;
    Ok(sha)
}

pub fn attachment_path(files_dir: &Path, sha: &str) -> PathBuf {
    files_dir.join("att").join(sha)
}

/// Attachment types government sites publish, recognised by their first bytes. Returns the MIME
/// type, or why the file is refused.
pub fn sniff(filename: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let starts = |m: &[u8]| bytes.starts_with(m);
    let mime = match ext.as_str() {
        "pdf" if starts(b"%PDF") => "application/pdf",
        "docx" if starts(b"PK\x03\x04") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" if starts(b"PK\x03\x04") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" if starts(b"PK\x03\x04") => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ofd" if starts(b"PK\x03\x04") => "application/ofd",
        "zip" if starts(b"PK\x03\x04") => "application/zip",
        "doc" | "wps" if starts(&[0xD0, 0xCF, 0x11, 0xE0]) => "application/msword",
        "xls" | "et" if starts(&[0xD0, 0xCF, 0x11, 0xE0]) => "application/vnd.ms-excel",
        "ppt" | "dps" if starts(&[0xD0, 0xCF, 0x11, 0xE0]) => "application/vnd.ms-powerpoint",
        "rar" if starts(b"Rar!") => "application/vnd.rar",
        "png" if starts(b"\x89PNG") => "image/png",
        "jpg" | "jpeg" if starts(&[0xFF, 0xD8, 0xFF]) => "image/jpeg",
        "gif" if starts(b"GIF8") => "image/gif",
        "txt" | "csv" if std::str::from_utf8(bytes).is_ok() => "text/plain; charset=utf-8",
        "pdf" | "docx" | "xlsx" | "pptx" | "ofd" | "zip" | "doc" | "wps" | "xls" | "et" | "ppt" | "dps" | "rar"
        | "png" | "jpg" | "jpeg" | "gif" | "txt" | "csv" => {
            return Err(format!("文件“{filename}”的内容与扩展名 .{ext} 不符"));
        }
        _ => {
            return Err(format!(
                "不支持上传 .{ext} 类型的文件（可上传 PDF、Word、Excel、PPT、WPS、OFD、压缩包和图片）"
            ));
        }
    };
    Ok(mime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content() {
        assert_eq!(sniff("通知.pdf", b"%PDF-1.7 ..."), Ok("application/pdf"));
        assert!(sniff("通知.pdf", b"<html>").unwrap_err().contains("不符"));
        assert!(sniff("run.exe", b"MZ").unwrap_err().contains("不支持"));
        assert!(sniff("a.html", b"<script>").is_err());
        assert_eq!(sniff("表格.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0]), Ok("application/vnd.ms-excel"));
    }

    #[test]
    fn inline_names_cannot_escape_the_directory() {
        let d = Path::new("/data/files");
        assert!(inline_path(d, "../../etc/passwd").is_none());
        let good = format!("{}.png", "a".repeat(64));
        assert!(inline_path(d, &good).is_some());
        assert!(inline_path(d, &format!("{good}/..")).is_none());
        assert!(inline_path(d, &format!("{}.html", "a".repeat(64))).is_none());
    }
}

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
    // `<sha256>.<ext>` for an original, `<sha256>-w<width>.<ext>` for a rendition.
    let hash = match stem.split_once("-w") {
        Some((h, w)) if RENDITION_WIDTHS.iter().any(|x| x.to_string() == w) => h,
        Some(_) => return None,
        None => stem,
    };
    let ok = hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(ext, "png" | "jpg" | "gif" | "webp");
    ok.then(|| files_dir.join("inline").join(name))
}

/// Widths of the downsized copies made of pasted images, so phones do not fetch originals.
pub const RENDITION_WIDTHS: [u32; 2] = [320, 800];

/// Writes downsized renditions (JPEG, or PNG when the original is PNG, to keep transparency)
/// for each width smaller than the image; returns (width, file name). Undecodable images get none.
pub fn make_renditions(files_dir: &Path, name: &str, bytes: &[u8]) -> Vec<(u32, String)> {
    let Ok(img) = image::load_from_memory(bytes) else { return Vec::new() };
    let (stem, ext) = name.split_once('.').unwrap_or((name, "jpg"));
    let out_ext = if ext == "png" { "png" } else { "jpg" };
    let mut out = Vec::new();
    for w in RENDITION_WIDTHS {
        if img.width() <= w {
            continue;
        }
        let file = format!("{stem}-w{w}.{out_ext}");
        let path = files_dir.join("inline").join(&file);
        if !path.exists() {
            let small = img.resize(w, u32::MAX, image::imageops::FilterType::Triangle);
            let mut buf = std::io::Cursor::new(Vec::new());
            let encoded = if out_ext == "png" {
                small.write_to(&mut buf, image::ImageFormat::Png)
            } else {
                image::DynamicImage::ImageRgb8(small.to_rgb8()).write_to(&mut buf, image::ImageFormat::Jpeg)
            };
            if encoded.is_err() || write_once(&path, buf.get_ref()).is_err() {
                continue;
            }
        }
        out.push((w, file));
    }
    out
}

/// Adds `srcset`/`sizes` to pasted images that have renditions on disk (at render time, on bodies
/// the sanitiser already cleaned; only names of our own file store are matched).
pub fn add_srcset(body: &str, files_dir: &Path, files_root: &str) -> String {
    let marker = "<img src=\"/files/inline/";
    if !body.contains(marker) {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len() + 200);
    let mut rest = body;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i]);
        let after = &rest[i + marker.len()..];
        let Some(end) = after.find('"') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        let (stem, ext) = name.split_once('.').unwrap_or((name, ""));
        let out_ext = if ext == "png" { "png" } else { "jpg" };
        let mut set: Vec<String> = RENDITION_WIDTHS
            .iter()
            .map(|w| (w, format!("{stem}-w{w}.{out_ext}")))
            .filter(|(_, f)| inline_path(files_dir, f).is_some_and(|p| p.exists()))
            .map(|(w, f)| format!("{files_root}inline/{f} {w}w"))
            .collect();
        out.push_str(&format!("<img src=\"{files_root}inline/{name}\""));
        if !set.is_empty() {
            if let Ok((width, _)) = image::image_dimensions(files_dir.join("inline").join(name)) {
                set.push(format!("{files_root}inline/{name} {width}w"));
            }
            out.push_str(&format!(" srcset=\"{}\" sizes=\"(max-width: 800px) 100vw, 800px\"", set.join(", ")));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
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
    fn renditions_are_made_and_referenced() {
        let dir = std::env::temp_dir().join(format!("zw-rend-{}", std::process::id()));
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(1000, 500, image::Rgb([200, 30, 30]))
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let bytes = png.into_inner();
        let name = store_inline(&dir, &bytes, "png").unwrap();
        let r = make_renditions(&dir, &name, &bytes);
        assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), vec![320, 800]);
        let (w, h) = image::image_dimensions(dir.join("inline").join(&r[0].1)).unwrap();
        assert_eq!((w, h), (320, 160));
        let body = format!(r#"<p><img src="/files/inline/{name}" alt="图"></p>"#);
        let html = add_srcset(&body, &dir, "/files/");
        assert!(
            html.contains("-w320.png 320w")
                && html.contains("-w800.png 800w")
                && html.contains(" 1000w")
                && html.contains(r#"alt="图""#),
            "{html}"
        );
        // A small image gets no renditions and no srcset.
        let mut small = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(100, 100, image::Rgb([0, 0, 0]))
            .write_to(&mut small, image::ImageFormat::Png)
            .unwrap();
        let n2 = store_inline(&dir, small.get_ref(), "png").unwrap();
        assert!(make_renditions(&dir, &n2, small.get_ref()).is_empty());
        let _ = std::fs::remove_dir_all(dir);
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

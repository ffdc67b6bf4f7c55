//! What a received file is, read from its bytes and never from its name or the type the client
//! claimed; the name it is shown and downloaded under; and photos without the location and
//! device data their cameras wrote into them.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

pub const PDF: &str = "application/pdf";
pub const PNG: &str = "image/png";
pub const JPEG: &str = "image/jpeg";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const ODT: &str = "application/vnd.oasis.opendocument.text";
pub const ODS: &str = "application/vnd.oasis.opendocument.spreadsheet";
pub const CSV: &str = "text/csv";
pub const TEXT: &str = "text/plain";

/// Every type accepted, with what a page calls it.
pub const ACCEPTED: &[(&str, &str)] = &[
    (PDF, "PDF"),
    (PNG, "PNG image"),
    (JPEG, "JPEG image"),
    (DOCX, "Word document"),
    (XLSX, "Excel spreadsheet"),
    (ODT, "OpenDocument text"),
    (ODS, "OpenDocument spreadsheet"),
    (CSV, "CSV file"),
    (TEXT, "Text file"),
];

/// What a page calls a media type.
pub fn type_label(media_type: &str) -> &'static str {
    ACCEPTED
        .iter()
        .find(|(t, _)| *t == media_type)
        .map_or("File", |(_, label)| label)
}

/// The longest name kept as the client gave it, in characters.
pub const MAX_GIVEN_NAME_CHARS: usize = 1000;
/// The longest name a document is shown under, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 120;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The accepted type of the file at `path`, from its content; `None` for anything else. Text
/// is valid UTF-8 without NUL bytes; it is CSV when the name says so, since nothing in the
/// content tells the two apart.
pub fn sniff(path: &Path, given_name: &str) -> io::Result<Option<&'static str>> {
    let mut head = Vec::with_capacity(4096);
    File::open(path)?.take(4096).read_to_end(&mut head)?;
    if head.starts_with(b"%PDF-") {
        return Ok(Some(PDF));
    }
    if head.starts_with(PNG_SIGNATURE) {
        return Ok(Some(PNG));
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Some(JPEG));
    }
    if head.starts_with(b"PK\x03\x04") {
        return zipped(path, &head);
    }
    if is_text(path)? {
        let csv = given_name.to_ascii_lowercase().ends_with(".csv");
        return Ok(Some(if csv { CSV } else { TEXT }));
    }
    Ok(None)
}

/// An OpenDocument file starts with an uncompressed `mimetype` entry naming its type; an Office
/// Open XML file has `[Content_Types].xml` and its main part (`word/document.xml`,
/// `xl/workbook.xml`). Any other archive is refused.
fn zipped(path: &Path, head: &[u8]) -> io::Result<Option<&'static str>> {
    let field = |at: usize| {
        head.get(at..at + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    if let (Some(name_len), Some(extra_len)) = (field(26), field(28))
        && head.get(30..30 + name_len) == Some(b"mimetype".as_slice())
    {
        let start = 30 + name_len + extra_len;
        let stored = head
            .get(18..22)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .unwrap_or_default();
        let mime = head.get(start..start + stored).unwrap_or_default();
        for odf in [ODT, ODS] {
            if mime == odf.as_bytes() {
                return Ok(Some(odf));
            }
        }
        return Ok(None);
    }
    let Ok(archive) = zip::ZipArchive::new(BufReader::new(File::open(path)?)) else {
        return Ok(None);
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|name| name.into_owned())
        .collect();
    let has = |wanted: &str| names.iter().any(|n| n == wanted);
    if !has("[Content_Types].xml") {
        return Ok(None);
    }
    if has("word/document.xml") {
        return Ok(Some(DOCX));
    }
    if has("xl/workbook.xml") {
        return Ok(Some(XLSX));
    }
    Ok(None)
}

/// Valid UTF-8 throughout, with no NUL byte, read a block at a time.
fn is_text(path: &Path) -> io::Result<bool> {
    let mut file = BufReader::new(File::open(path)?);
    let mut block = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let read = file.read(&mut block)?;
        if read == 0 {
            return Ok(carry.is_empty());
        }
        let chunk = &block[..read];
        if chunk.contains(&0) {
            return Ok(false);
        }
        carry.extend_from_slice(chunk);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_none() => {
                // A character cut by the end of the block: keep its first bytes for the next.
                let rest = carry.split_off(e.valid_up_to());
                carry = rest;
            }
            Err(_) => return Ok(false),
        }
    }
}

/// The SHA-256 of a file in hex, and its size.
pub fn sha256_of(path: &Path) -> io::Result<(String, u64)> {
    let mut file = BufReader::new(File::open(path)?);
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut block)?;
        if read == 0 {
            break;
        }
        size += read as u64;
        hasher.update(&block[..read]);
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    Ok((hex, size))
}

/// Characters a name never keeps: control characters and the marks that reorder text (which
/// can make `evil.exe` look like `exe.live`).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The client's name, bounded, for the record.
pub fn given_name(name: &str) -> String {
    name.chars()
        .filter(|c| !unsafe_char(*c))
        .take(MAX_GIVEN_NAME_CHARS)
        .collect()
}

/// The name a document is shown and downloaded under: the last part of whatever path was sent
/// (so `../../etc/passwd` is `passwd`), without control or reordering characters, without the
/// dots and spaces that open or close it, at most 120 characters with its extension kept;
/// `document` when nothing is left.
pub fn display_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !unsafe_char(*c))
        .map(|c| {
            if matches!(c, '"' | ':' | '*' | '?' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "document".to_owned();
    }
    let chars: Vec<char> = trimmed.chars().collect();
    if chars.len() <= MAX_DISPLAY_NAME_CHARS {
        return trimmed.to_owned();
    }
    let extension: String = match trimmed.rfind('.') {
        Some(dot) if trimmed.len() - dot <= 10 => trimmed[dot..].to_owned(),
        _ => String::new(),
    };
    let keep = MAX_DISPLAY_NAME_CHARS - extension.chars().count();
    let stem: String = chars.iter().take(keep).collect();
    format!("{}{extension}", stem.trim_end())
}

/// `Content-Disposition` for downloading a document as `name`: an ASCII fallback for old
/// clients and the exact name in UTF-8 (RFC 6266, RFC 8187).
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Why a photo could not be read to remove its metadata.
#[derive(Debug, thiserror::Error)]
pub enum StripError {
    #[error("the image is damaged: {0}")]
    Damaged(&'static str),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Copies the photo at `from` to `to` without the data a camera or phone adds about where and
/// with what it was taken, leaving the picture itself as it was (nothing is re-encoded): from a
/// JPEG its APP1 (Exif, XMP) and APP13 (IPTC) segments, from a PNG its `eXIf` and text chunks.
pub fn strip_metadata(media_type: &str, from: &Path, to: &Path) -> Result<(), StripError> {
    let mut input = BufReader::new(File::open(from)?);
    let mut output = BufWriter::new(File::create(to)?);
    match media_type {
        JPEG => strip_jpeg(&mut input, &mut output)?,
        PNG => strip_png(&mut input, &mut output)?,
        _ => {
            io::copy(&mut input, &mut output)?;
        }
    }
    output.flush()?;
    Ok(())
}

fn read_exact_or(
    input: &mut impl Read,
    buf: &mut [u8],
    what: &'static str,
) -> Result<(), StripError> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => StripError::Damaged(what),
        _ => StripError::Io(e),
    })
}

fn strip_jpeg(input: &mut impl Read, output: &mut impl Write) -> Result<(), StripError> {
    let mut soi = [0u8; 2];
    read_exact_or(input, &mut soi, "no start of image")?;
    if soi != [0xFF, 0xD8] {
        return Err(StripError::Damaged("no start of image"));
    }
    output.write_all(&soi)?;
    loop {
        let mut byte = [0u8; 1];
        read_exact_or(input, &mut byte, "ends before its image data")?;
        if byte[0] != 0xFF {
            return Err(StripError::Damaged("a segment without a marker"));
        }
        // Fill bytes may repeat 0xFF before the marker.
        let mut marker = 0xFFu8;
        while marker == 0xFF {
            read_exact_or(input, &mut byte, "ends inside a marker")?;
            marker = byte[0];
        }
        match marker {
            // End of image, or start of scan: everything after is picture data, copied whole.
            0xD9 | 0xDA => {
                output.write_all(&[0xFF, marker])?;
                io::copy(input, output)?;
                return Ok(());
            }
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => output.write_all(&[0xFF, marker])?,
            _ => {
                let mut length = [0u8; 2];
                read_exact_or(input, &mut length, "ends inside a segment")?;
                let length = usize::from(u16::from_be_bytes(length));
                if length < 2 {
                    return Err(StripError::Damaged("a segment of impossible length"));
                }
                let mut body = vec![0u8; length - 2];
                read_exact_or(input, &mut body, "ends inside a segment")?;
                if marker == 0xE1 || marker == 0xED {
                    continue;
                }
                output.write_all(&[0xFF, marker])?;
                output.write_all(&(length as u16).to_be_bytes())?;
                output.write_all(&body)?;
            }
        }
    }
}

fn strip_png(input: &mut impl Read, output: &mut impl Write) -> Result<(), StripError> {
    let mut signature = [0u8; 8];
    read_exact_or(input, &mut signature, "no PNG signature")?;
    if signature != PNG_SIGNATURE {
        return Err(StripError::Damaged("no PNG signature"));
    }
    output.write_all(&signature)?;
    loop {
        let mut header = [0u8; 8];
        read_exact_or(input, &mut header, "ends before its last chunk")?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as u64;
        let kind = [header[4], header[5], header[6], header[7]];
        let dropped = matches!(&kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt");
        let mut chunk = input.by_ref().take(length + 4);
        if dropped {
            let skipped = io::copy(&mut chunk, &mut io::sink())?;
            if skipped != length + 4 {
                return Err(StripError::Damaged("ends inside a chunk"));
            }
            continue;
        }
        output.write_all(&header)?;
        let copied = io::copy(&mut chunk, output)?;
        if copied != length + 4 {
            return Err(StripError::Damaged("ends inside a chunk"));
        }
        if &kind == b"IEND" {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn sniffed(bytes: &[u8], name: &str) -> Option<&'static str> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        sniff(&path, name).unwrap()
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            for (name, content) in entries {
                writer.start_file(*name, options).unwrap();
                writer.write_all(content).unwrap();
            }
            writer.finish().unwrap();
        }
        out
    }

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(sniffed(b"%PDF-1.4\n...", "x.txt"), Some(PDF));
        assert_eq!(sniffed(b"\x89PNG\r\n\x1a\n....", "x.pdf"), Some(PNG));
        assert_eq!(sniffed(&[0xFF, 0xD8, 0xFF, 0xE0], "x.pdf"), Some(JPEG));
        assert_eq!(
            sniffed("name,amount\nAnna,£3\n".as_bytes(), "a.CSV"),
            Some(CSV)
        );
        assert_eq!(sniffed(b"plain words", "notes"), Some(TEXT));
        assert_eq!(sniffed(b"\x7fELF\x02\x01\x01\0\0\0", "budget.pdf"), None);
        assert_eq!(sniffed(b"MZ\x90\0\x03\0\0\0", "budget.txt"), None);
        assert_eq!(sniffed(&[0xC3, 0x28], "bad.txt"), None, "invalid UTF-8");
        let docx = zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w/>"),
        ]);
        assert_eq!(sniffed(&docx, "a.zip"), Some(DOCX));
        let xlsx = zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<w/>"),
        ]);
        assert_eq!(sniffed(&xlsx, "a.docx"), Some(XLSX));
        let odt = zip_of(&[("mimetype", ODT.as_bytes()), ("content.xml", b"<x/>")]);
        assert_eq!(sniffed(&odt, "a"), Some(ODT));
        let ods = zip_of(&[("mimetype", ODS.as_bytes()), ("content.xml", b"<x/>")]);
        assert_eq!(sniffed(&ods, "a"), Some(ODS));
        let other = zip_of(&[("payload.exe", b"MZ")]);
        assert_eq!(sniffed(&other, "a.docx"), None);
    }

    #[test]
    fn a_character_cut_by_a_block_is_still_text() {
        let mut text = "a".repeat(64 * 1024 - 1).into_bytes();
        text.extend_from_slice("é and more".as_bytes());
        assert_eq!(sniffed(&text, "t.txt"), Some(TEXT));
        let mut cut = "a".repeat(10).into_bytes();
        cut.push(0xC3);
        assert_eq!(sniffed(&cut, "t.txt"), None);
    }

    #[test]
    fn names_lose_their_paths_and_controls() {
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("C:\\Users\\anna\\budget.xlsx"), "budget.xlsx");
        assert_eq!(display_name("re\u{202E}fdp.exe"), "refdp.exe");
        assert_eq!(display_name("bad\nname\0.pdf"), "badname.pdf");
        assert_eq!(display_name(".."), "document");
        assert_eq!(display_name("  .hidden  "), "hidden");
        let long = format!("{}.pdf", "a".repeat(10_000));
        let shown = display_name(&long);
        assert_eq!(shown.chars().count(), MAX_DISPLAY_NAME_CHARS);
        assert!(shown.ends_with(".pdf"));
        assert_eq!(given_name(&long).chars().count(), MAX_GIVEN_NAME_CHARS);
        assert_eq!(
            content_disposition("Budget 2025 £.pdf"),
            "attachment; filename=\"Budget 2025 _.pdf\"; filename*=UTF-8''Budget%202025%20%C2%A3.pdf"
        );
    }

    #[test]
    fn photos_lose_their_exif_and_text_but_keep_the_picture() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("in"), dir.path().join("out"));
        let exif = b"Exif\0\0MM\0*GPSLatitude 55.95N";
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 6, b'J', b'F', b'I', b'F'];
        jpeg.extend_from_slice(&[0xFF, 0xE1]);
        jpeg.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        jpeg.extend_from_slice(exif);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
        std::fs::write(&from, &jpeg).unwrap();
        strip_metadata(JPEG, &from, &to).unwrap();
        let out = std::fs::read(&to).unwrap();
        assert_eq!(
            out,
            [
                0xFF, 0xD8, 0xFF, 0xE0, 0, 6, b'J', b'F', b'I', b'F', 0xFF, 0xDA, 0, 2, 1, 2, 3,
                0xFF, 0xD9
            ]
        );

        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"eXIf", b"MM\0*GPS"));
        png.extend(chunk(b"tEXt", b"Location\0Leith"));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        std::fs::write(&from, &png).unwrap();
        strip_metadata(PNG, &from, &to).unwrap();
        let mut expected = PNG_SIGNATURE.to_vec();
        expected.extend(chunk(b"IHDR", &[0; 13]));
        expected.extend(chunk(b"IDAT", &[1, 2, 3]));
        expected.extend(chunk(b"IEND", &[]));
        assert_eq!(std::fs::read(&to).unwrap(), expected);

        std::fs::write(&from, [0xFF, 0xD8, 0xFF, 0xE1, 0, 40, 1]).unwrap();
        assert!(matches!(
            strip_metadata(JPEG, &from, &to),
            Err(StripError::Damaged(_))
        ));
    }
}

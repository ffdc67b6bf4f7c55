//! Hostile uploads: an empty file, an executable renamed to look like a PDF, a file one byte
//! over the limit, a name that climbs out of its folder, a name of 10,000 characters, a photo
//! that says where it was taken, and a body that is no form at all. Each is refused with its
//! problem, or stored harmlessly, and nothing is stored for a refusal. The files are made here,
//! byte by byte.

use crate::db_test;
use crate::documents::{PDF, upload};
use crate::support::*;

/// The limit these tests run with.
const LIMIT: u64 = 2048;

/// A JPEG whose Exif segment holds a GPS position and a phone's make, then a tiny scan.
fn jpeg_with_gps() -> Vec<u8> {
    let exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 55.9533 N GPSLongitude 3.1883 W Make PhoneCo";
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    jpeg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    jpeg.extend_from_slice(&[0xFF, 0xE1]);
    jpeg.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    jpeg.extend_from_slice(exif);
    jpeg.extend_from_slice(&[0xFF, 0xDB, 0, 3, 0]);
    jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0x12, 0x34, 0x56, 0xFF, 0xD9]);
    jpeg
}

/// An ELF executable's first bytes.
fn executable() -> Vec<u8> {
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    elf.extend(std::iter::repeat_n(0u8, 64));
    elf
}

db_test! {
    async fn hostile_uploads_are_refused_or_made_harmless(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| s.max_upload_bytes = LIMIT).await else { return };
        let Registered { organisation, token } = app.register("SC000201", "hostile@example.org").await;
        let path = format!("/organisations/{organisation}/documents");
        let kind = [("kind", "constitution")];

        let empty = upload(&app, &token, &path, &kind, "empty.pdf", b"").await;
        empty.assert_problem(422, "validation_failed");
        assert_eq!(empty.error_fields(), ["file"]);
        assert!(empty.text.contains("The file is empty"));

        let renamed = upload(&app, &token, &path, &kind, "constitution.pdf", &executable()).await;
        renamed.assert_problem(415, "file_type_not_allowed");
        let zipped = upload(&app, &token, &path, &kind, "constitution.docx", b"PK\x03\x04not really a document").await;
        zipped.assert_problem(415, "file_type_not_allowed");

        let mut over = b"%PDF-1.4\n".to_vec();
        over.resize(LIMIT as usize + 1, b'x');
        upload(&app, &token, &path, &kind, "big.pdf", &over).await.assert_problem(413, "file_too_large");
        over.pop();
        let at_limit = upload(&app, &token, &path, &kind, "big.pdf", &over).await;
        assert_eq!(at_limit.status.as_u16(), 201, "exactly the limit is accepted: {}", at_limit.text);

        // A declared length far past the limit is refused before the body is read: the client
        // sends the headers alone and gets its answer.
        let address = app.address.trim_start_matches("http://").to_owned();
        let request = format!(
            "POST /api/v1{path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 999999999\r\n\r\n--x\r\n"
        );
        let answer = actix_web::web::block(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            let mut answer = vec![0u8; 4096];
            let read = stream.read(&mut answer).unwrap();
            String::from_utf8_lossy(&answer[..read]).into_owned()
        }).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("file_too_large"), "{answer}");

        let climbing = upload(&app, &token, &path, &kind, "../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n").await;
        assert_eq!(climbing.status.as_u16(), 201, "{}", climbing.text);
        assert_eq!(climbing.json["name"], "passwd");
        let id = climbing.json["id"].as_i64().unwrap();
        let download = app.as_(&token).get(&format!("/api/v1/documents/{id}/content")).send().await;
        assert_eq!(download.header("content-disposition").as_deref(), Some("attachment; filename=\"passwd\"; filename*=UTF-8''passwd"));

        let long = format!("{}.pdf", "n".repeat(10_000));
        let named = upload(&app, &token, &path, &kind, &long, PDF).await;
        assert_eq!(named.status.as_u16(), 201, "{}", named.text);
        let shown = named.json["name"].as_str().unwrap();
        assert_eq!(shown.chars().count(), 120);
        assert!(shown.ends_with(".pdf"));

        let photo = jpeg_with_gps();
        let stored = upload(&app, &token, &path, &kind, "IMG_0001.JPG", &photo).await;
        assert_eq!(stored.status.as_u16(), 201, "{}", stored.text);
        assert_eq!(stored.json["media_type"], "image/jpeg");
        let id = stored.json["id"].as_i64().unwrap();
        let back = app.as_(&token).get(&format!("/api/v1/documents/{id}/content")).send().await;
        assert!(back.bytes.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!back.bytes.windows(3).any(|w| w == b"GPS"), "no location survives");
        assert!(!back.bytes.windows(4).any(|w| w == b"Exif"));
        assert!(back.bytes.ends_with(&[0x12, 0x34, 0x56, 0xFF, 0xD9]), "the picture itself is kept");
        assert_eq!(stored.json["size_bytes"], back.bytes.len());

        let json = app.as_(&token).post(&format!("/api/v1{path}")).json(serde_json::json!({"kind": "constitution"})).send().await;
        json.assert_problem(415, "multipart_expected");

        let listed = app.as_(&token).get(&format!("/api/v1{path}")).send().await;
        assert_eq!(listed.json["items"].as_array().unwrap().len(), 4, "only the harmless uploads were stored");
    }
}

//! One way to send a request: choose the caller, then the method and path, then what to send.
//!
//! ```ignore
//! app.as_(&admin).post("/api/v1/funds").json(body).send().await;
//! app.anonymous().get("/health").send().await;
//! ```

use awc::http::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;

use super::app::TestApp;

/// Who sends: a bearer token, or nobody.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    app: &'a TestApp,
    token: Option<&'a str>,
}

impl<'a> Caller<'a> {
    pub(super) fn new(app: &'a TestApp, token: Option<&'a str>) -> Self {
        Caller { app, token }
    }

    /// A request of any method, named as text (`"GET"`, `"POST"`…).
    pub fn request(self, method: &str, path: &str) -> Request<'a> {
        let method = Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        Request {
            caller: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn get(self, path: &str) -> Request<'a> {
        self.request("GET", path)
    }

    pub fn post(self, path: &str) -> Request<'a> {
        self.request("POST", path)
    }

    pub fn put(self, path: &str) -> Request<'a> {
        self.request("PUT", path)
    }

    pub fn patch(self, path: &str) -> Request<'a> {
        self.request("PATCH", path)
    }

    pub fn delete(self, path: &str) -> Request<'a> {
        self.request("DELETE", path)
    }
}

enum Body {
    Empty,
    Json(Value),
    Bytes {
        content_type: String,
        bytes: Vec<u8>,
    },
}

/// A request being put together; nothing is sent before [`Request::send`].
#[must_use = "a request does nothing until it is sent"]
pub struct Request<'a> {
    caller: Caller<'a>,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Body,
}

impl Request<'_> {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: impl Serialize) -> Self {
        self.body = Body::Json(serde_json::to_value(body).expect("a JSON body"));
        self
    }

    /// Sends these fields as an HTML form would.
    pub fn form(self, fields: &[(&str, &str)]) -> Self {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.body("application/x-www-form-urlencoded", encoded)
    }

    /// Sends these text fields and, when given, a file `(filename, bytes)` in the field `file`,
    /// as a browser sends a form with a file input.
    pub fn multipart(self, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Self {
        let (content_type, body) = multipart_body(fields, file);
        self.body(&content_type, body)
    }

    /// Sends these bytes as they are, labelled `content_type`.
    pub fn body(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Bytes {
            content_type: content_type.to_owned(),
            bytes: bytes.into(),
        };
        self
    }

    pub async fn send(self) -> Reply {
        let app = self.caller.app;
        let mut request = app
            .client
            .request(self.method, format!("{}{}", app.address, self.path));
        if let Some(token) = self.caller.token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        for (name, value) in self.headers {
            request = request.insert_header((name, value));
        }
        let response = match self.body {
            Body::Empty => request.send().await,
            Body::Json(body) => request.send_json(&body).await,
            Body::Bytes {
                content_type,
                bytes,
            } => {
                request
                    .insert_header(("Content-Type", content_type))
                    .send_body(bytes)
                    .await
            }
        };
        Reply::read(response.expect("request sent")).await
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub text: String,
    pub json: Value,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub async fn read<S>(mut response: awc::ClientResponse<S>) -> Reply
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .body()
            .limit(16 * 1024 * 1024)
            .await
            .expect("body read");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
            bytes: bytes.to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "status of {}", self.text);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.json["code"], code, "{}", self.text);
        assert_eq!(self.json["status"], status);
        assert!(
            self.json["title"].is_string()
                && self.json["detail"].is_string()
                && self.json["type"].is_string()
        );
    }

    /// The fields named in a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A `multipart/form-data` body of these fields and file, and its content type.
pub fn multipart_body(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----grantfund-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

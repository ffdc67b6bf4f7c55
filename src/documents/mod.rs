//! Documents: files uploaded for an organisation's due diligence, with an application, with a
//! monitoring return, and the signed agreement of an accepted award. The rows live here; the
//! content is a blob in the document store (`blobs`); who may reach each owner is asked of the
//! owner's feature by the use case (`usecases/documents.rs`).

pub mod content;
pub mod examples;
pub mod model;
pub mod routes;
pub mod service;
pub mod sweep;

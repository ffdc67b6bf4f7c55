//! The floor for the HTTP benchmarks: actix-web answering `ok` and doing nothing else, built with
//! the service's own dependencies and profile. `bench/load.sh` measures it in the same run as the
//! service, so the service's figures can be read as a share of what the framework alone does.

use actix_web::{App, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18999".to_owned());
    HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
        .bind(address)?
        .run()
        .await
}
